import BridgeSystem
import CLibUDev
import Foundation
import Glibc

/// Makes a stick safe to pull: every mounted partition of its disk synced and unmounted (never a
/// lazy unmount), then, where the kernel lets this process, the USB device removed from its port
/// (sysfs `remove`: the kernel flushes and powers the port's device down). "Safe to remove" is
/// said only when every unmount succeeded.
public enum MediaEject {
    public struct Outcome: Sendable, Codable, Equatable {
        public var disk: String
        public var unmounted: [String]
        /// The USB device was removed from its port (false: not permitted, or not found).
        public var poweredOff: Bool
        public var safeToRemove: Bool
        public var note: String?
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// The stick is not safe to pull.
        public var unsafe: Bool
    }

    /// Ejects the disk of `medium` (a partition or the disk itself), given every medium listed.
    public static func eject(_ medium: RemovableMedium, among media: [RemovableMedium]) throws(Failure) -> Outcome {
        let disk = medium.diskNode
        let partitions = media.filter { $0.diskNode == disk }
        var unmounted: [String] = []
        for part in partitions {
            for point in part.mountPoints {
                do throws(SystemError) {
                    try Syscall.syncFileSystem(point)
                    try Syscall.unmount(point)
                    unmounted.append(point)
                } catch {
                    let why: String
                    switch error.errno {
                    case EBUSY: why = "\(point) is in use (a shell or a program has files open there): close them and eject again"
                    case EPERM, EACCES: why = "unmounting \(point) needs root (or udisks2): run `sudo mfpbridge media eject`"
                    default: why = "cannot unmount \(point): \(error)"
                    }
                    throw Failure(
                        description:
                            "\(why). The stick is NOT safe to remove yet\(unmounted.isEmpty ? "" : " (unmounted so far: \(unmounted.joined(separator: ", ")))")",
                        unsafe: true)
                }
            }
        }
        var poweredOff = false
        var note: String?
        if let remove = usbRemoveFile(disk: disk) {
            do throws(SystemError) {
                let fd = try Syscall.open(remove, O_WRONLY | O_CLOEXEC)
                defer { Syscall.close(fd) }
                try Syscall.writeAll(fd, Array("1".utf8), path: remove)
                poweredOff = true
            } catch {
                note = "the port was not powered off (\(error.symbol)): pull the stick now, it is unmounted"
            }
        } else {
            note = "no USB port found for \(disk) to power off: pull the stick now, it is unmounted"
        }
        return Outcome(disk: disk, unmounted: unmounted, poweredOff: poweredOff, safeToRemove: true, note: note)
    }

    /// `/dev/sda1` → `/dev/sda` (and `/dev/mmcblk0p1` → `/dev/mmcblk0`).
    public static func diskNode(of partition: String) -> String {
        var node = partition
        while let last = node.last, last.isNumber { node.removeLast() }
        if node.hasSuffix("p"), let before = node.dropLast().last, before.isNumber { node.removeLast() }
        return node
    }

    /// The sysfs `remove` file of the USB device the disk hangs off.
    static func usbRemoveFile(disk: String) -> String? {
        guard let udev = udev_new() else { return nil }
        defer { udev_unref(udev) }
        let name = (disk as NSString).lastPathComponent
        guard let block = udev_device_new_from_subsystem_sysname(udev, "block", name) else { return nil }
        defer { udev_device_unref(block) }
        guard let usb = udev_device_get_parent_with_subsystem_devtype(block, "usb", "usb_device"),
            let path = udev_device_get_syspath(usb)
        else { return nil }
        return String(cString: path) + "/remove"
    }
}
