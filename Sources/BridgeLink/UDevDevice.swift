import BridgeSystem
import CLibUDev

/// A libudev context: owns its `struct udev *` and unrefs it once, when this object goes away.
/// Not thread-safe (libudev is not): use one per thread.
final class UDevContext {
    let raw: OpaquePointer

    /// nil when libudev cannot start (containers without /sys).
    init?() {
        guard let raw = udev_new() else { return nil }
        self.raw = raw
    }

    deinit { udev_unref(raw) }

    /// The sysfs attributes and udev properties of a USB device, by its sysfs name ("1-1.2").
    func usbDevice(sysname: String) -> UDevSnapshot? {
        guard let device = udev_device_new_from_subsystem_sysname(raw, "usb", sysname) else { return nil }
        defer { udev_device_unref(device) }
        return UDevSnapshot(device)
    }
}

/// What udev knows about one device, copied out so no libudev pointer outlives its call.
struct UDevSnapshot: Sendable {
    var syspath: String?
    var sysname: String?
    var devnode: String?
    var devtype: String?
    var action: String?
    var attributes: [String: String] = [:]
    var properties: [String: String] = [:]

    static let usefulAttributes = ["idVendor", "idProduct", "serial", "manufacturer", "product", "busnum", "devnum"]

    /// Reads from `device`, which stays owned by the caller.
    init(_ device: OpaquePointer) {
        syspath = string(udev_device_get_syspath(device))
        sysname = string(udev_device_get_sysname(device))
        devnode = string(udev_device_get_devnode(device))
        devtype = string(udev_device_get_devtype(device))
        action = string(udev_device_get_action(device))
        for name in Self.usefulAttributes {
            if let value = string(udev_device_get_sysattr_value(device, name)) {
                attributes[name] = value.trimmingSpaces()
            }
        }
        var entry = udev_device_get_properties_list_entry(device) // owned by `device`
        while let current = entry {
            if let name = string(udev_list_entry_get_name(current)) {
                properties[name] = string(udev_list_entry_get_value(current)) ?? ""
            }
            entry = udev_list_entry_get_next(current)
        }
    }

    var vendorID: UInt16? {
        (attributes["idVendor"] ?? properties["ID_VENDOR_ID"]).flatMap { UInt16($0, radix: 16) }
            ?? productField(0)
    }

    var productID: UInt16? {
        (attributes["idProduct"] ?? properties["ID_MODEL_ID"]).flatMap { UInt16($0, radix: 16) }
            ?? productField(1)
    }

    var serial: String? { attributes["serial"] ?? properties["ID_SERIAL_SHORT"] }

    /// PRODUCT=vid/pid/bcd (hex without leading zeros), present even in "remove" events.
    private func productField(_ index: Int) -> UInt16? {
        guard let product = properties["PRODUCT"] else { return nil }
        let parts = product.split(separator: "/")
        guard parts.count > index else { return nil }
        return UInt16(parts[index], radix: 16)
    }

    /// ":ffffff:070102:" from ID_USB_INTERFACES, as class triples "ff/ff/ff".
    var interfaceClasses: [String] {
        guard let list = properties["ID_USB_INTERFACES"] else { return [] }
        return list.split(separator: ":").compactMap { item in
            guard item.count == 6 else { return nil }
            let chars = Array(item)
            return "\(String(chars[0...1]))/\(String(chars[2...3]))/\(String(chars[4...5]))".lowercased()
        }
    }
}

/// The version of the libudev the program runs with, from systemd's `udevadm --version` when it
/// is there (libudev has no version call); nil otherwise.
enum UDevVersion {
    static func current() -> String? {
        for path in [
            "/usr/lib/x86_64-linux-gnu/libudev.so.1", "/lib/x86_64-linux-gnu/libudev.so.1",
            "/usr/lib/aarch64-linux-gnu/libudev.so.1", "/lib/aarch64-linux-gnu/libudev.so.1",
        ] {
            // libudev.so.1 -> libudev.so.1.7.5: the link target carries the library's version.
            if let target = try? Syscall.readlink(path) {
                if let range = target.range(of: "libudev.so.") { return String(target[range.upperBound...]) }
            }
        }
        return nil
    }
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
