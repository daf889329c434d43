import BridgeSystem
import CLibUDev
import Foundation

/// Finds USB memory media with libudev: block devices whose udev properties say `ID_BUS=usb`
/// (disks and their partitions), with their sysfs size, removable and ro attributes, their mount
/// points from the mount table (matched by major:minor) and the free space of each mounted one.
public enum MediaScanner {
    public static func scan(mounts: MountTable = MediaScanner.currentMounts()) -> [RemovableMedium] {
        guard let udev = udev_new() else { return [] }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, "block")
        udev_enumerate_add_match_property(enumerate, "ID_BUS", "usb")
        udev_enumerate_scan_devices(enumerate)
        var media: [RemovableMedium] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let path = udev_list_entry_get_name(current),
                let device = udev_device_new_from_syspath(udev, path)
            {
                if let medium = medium(device, mounts: mounts) { media.append(medium) }
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(current)
        }
        return media.sorted { $0.devnode < $1.devnode }
    }

    /// The mount table of this process, empty if /proc is not there.
    public static func currentMounts() -> MountTable {
        MountTable(parsing: (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
    }

    static func medium(_ device: OpaquePointer, mounts: MountTable) -> RemovableMedium? {
        func property(_ name: String) -> String? {
            guard let value = udev_device_get_property_value(device, name) else { return nil }
            let text = String(cString: value)
            return text.isEmpty ? nil : text
        }
        func attribute(_ target: OpaquePointer, _ name: String) -> String? {
            udev_device_get_sysattr_value(target, name).map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        guard let node = udev_device_get_devnode(device), let type = property("DEVTYPE"),
            let kind = RemovableMedium.Kind(rawValue: type),
            let major = property("MAJOR").flatMap(UInt32.init), let minor = property("MINOR").flatMap(UInt32.init)
        else { return nil }
        // `removable` is the disk's; a partition asks its parent.
        let disk = kind == .partition ? udev_device_get_parent_with_subsystem_devtype(device, "block", "disk") : device
        let sectors = attribute(device, "size").flatMap(UInt64.init) ?? 0
        let here = mounts.mounts(major: major, minor: minor)
        var medium = RemovableMedium(
            devnode: String(cString: node), kind: kind, deviceNumber: "\(major):\(minor)",
            vendor: (property("ID_VENDOR_ENC") ?? property("ID_VENDOR")).map(unescapeUDev),
            model: (property("ID_MODEL_ENC") ?? property("ID_MODEL")).map(unescapeUDev),
            serial: property("ID_SERIAL_SHORT"), label: property("ID_FS_LABEL_ENC").map(unescapeUDev) ?? property("ID_FS_LABEL"),
            uuid: property("ID_FS_UUID"), fileSystem: property("ID_FS_TYPE"), sizeBytes: sectors * 512,
            removable: disk.flatMap { attribute($0, "removable") } == "1", writeProtected: attribute(device, "ro") == "1",
            driver: property("ID_USB_DRIVER"), mountPoints: here.map(\.mountPoint),
            mountedReadOnly: here.contains { $0.isReadOnly }, freeBytes: nil, fileSystemBytes: nil)
        if let mounted = here.first, let space = try? Syscall.statvfs(mounted.mountPoint) {
            medium.freeBytes = UInt64(space.f_bavail) * UInt64(space.f_frsize)
            medium.fileSystemBytes = UInt64(space.f_blocks) * UInt64(space.f_frsize)
        }
        return medium
    }

    /// udev's `_ENC` values and vendor strings escape bytes as `\x20`.
    static func unescapeUDev(_ text: String) -> String {
        EscapedText.decode(text, marker: "\\x", digits: 2, radix: 16).trimmingCharacters(in: .whitespaces)
    }
}
