import BridgeSystem
import CLibUDev
import Glibc // pollfd and the POLL*/E* constants only; the calls go through BridgeSystem

/// A USB device arriving or leaving, as udev announced it.
public struct USBHotplugEvent: Sendable, Hashable, Codable {
    public enum Action: String, Sendable, Codable { case present, add, remove }
    public var action: Action
    public var busPath: String
    public var vendorID: UInt16?
    public var productID: UInt16?
    public var serial: String?
    public var product: String?
    public var model: String?
    public var devnode: String?

    /// `usb:VID:PID:SERIAL` when known, else `usb:BUS-PORT`.
    public var address: String {
        if let vendorID, let productID, let serial, !serial.isEmpty, !serial.contains(":") {
            return "usb:\(hex4(vendorID)):\(hex4(productID)):\(serial)"
        }
        return "usb:\(busPath)"
    }
}

/// Watches udev for USB devices of an allow-list coming and going (netlink "udev" events, so
/// a device is announced once its node and permissions are ready).
///
/// Ownership: owns its udev context and monitor (unref'd once, in deinit). Use from one thread.
public final class USBHotplugMonitor {
    private let udev: UDevContext
    private let monitor: OpaquePointer
    private let fd: Int32
    private let allowList: USBAllowList
    /// Bus paths of the allowed devices seen, so their "remove" is reported even when the event
    /// carries no ids.
    private var known: [String: USBHotplugEvent] = [:]

    public init(allowList: USBAllowList) throws(LinkError) {
        guard let udev = UDevContext() else {
            throw LinkError(code: .notFound, message: "libudev is not available here (no /sys or /run/udev): hotplug cannot be watched")
        }
        guard let monitor = udev_monitor_new_from_netlink(udev.raw, "udev") else {
            throw LinkError(code: .io, message: "cannot open a udev monitor (netlink): is systemd-udevd running?")
        }
        guard udev_monitor_filter_add_match_subsystem_devtype(monitor, "usb", "usb_device") >= 0,
            udev_monitor_enable_receiving(monitor) >= 0
        else {
            udev_monitor_unref(monitor)
            throw LinkError(code: .io, message: "cannot start the udev monitor")
        }
        self.udev = udev
        self.monitor = monitor
        self.fd = udev_monitor_get_fd(monitor)
        self.allowList = allowList
    }

    deinit {
        udev_monitor_unref(monitor)
    }

    /// The monitor's descriptor: readable when an event waits (for a caller polling several).
    public var descriptor: Int32 { fd }

    /// The allowed devices present now (each also remembered for its later "remove").
    public func present() throws(LinkError) -> [USBHotplugEvent] {
        let devices = try USBDeviceScanner.list(allowList: allowList)
        return devices.map { info in
            let event = USBHotplugEvent(
                action: .present, busPath: info.busPath, vendorID: info.vendorID,
                productID: info.productID, serial: info.serial, product: info.product,
                model: info.model, devnode: info.devnode)
            known[info.busPath] = event
            return event
        }
    }

    /// The next arrival or departure of an allowed device, or nil when `timeout` passes first.
    /// Events of other devices are read and dropped.
    public func next(timeout: Duration) throws(LinkError) -> USBHotplugEvent? {
        let deadline = ContinuousClock.now + timeout
        while true {
            do throws(SystemError) {
                guard try Syscall.waitReadable(fd, until: deadline) else { return nil }
            } catch {
                throw LinkError(code: .io, message: "waiting for udev events failed", errno: error.errno)
            }
            guard let device = udev_monitor_receive_device(monitor) else { continue }
            let snapshot = UDevSnapshot(device)
            udev_device_unref(device)
            if let event = classify(snapshot) { return event }
        }
    }

    private func classify(_ device: UDevSnapshot) -> USBHotplugEvent? {
        guard let busPath = device.sysname, let action = device.action else { return nil }
        switch action {
        case "add":
            guard let vendor = device.vendorID, let product = device.productID,
                allowList.entries.contains(where: { entry in
                    entry.matches(vendorID: vendor, productID: product)
                        && (device.interfaceClasses.isEmpty
                            || device.interfaceClasses.contains(
                                "\(hex2(entry.interfaceClass))/\(hex2(entry.subclass))/\(hex2(entry.interfaceProtocol))"))
                })
            else { return nil }
            let event = USBHotplugEvent(
                action: .add, busPath: busPath, vendorID: vendor, productID: product, serial: device.serial,
                product: device.attributes["product"] ?? device.properties["ID_MODEL"],
                model: allowList.model(vendorID: vendor, productID: product) ?? device.attributes["product"],
                devnode: device.devnode ?? device.properties["DEVNAME"])
            known[busPath] = event
            return event
        case "remove":
            guard var event = known.removeValue(forKey: busPath) else { return nil }
            event.action = .remove
            return event
        default:
            return nil
        }
    }
}
