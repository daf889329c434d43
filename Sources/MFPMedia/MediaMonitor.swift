import BridgeSystem
import CLibUDev
import Foundation

/// Watches udev for USB memory media coming and going: block devices with `ID_BUS=usb`, disks and
/// partitions, as `MediaScanner` describes them. A "remove" carries what its "add" (or the
/// listing at start) said, since the device is gone by then.
///
/// Ownership: owns its udev context and monitor (unref'd once, in deinit). Use from one thread.
public final class MediaMonitor {
    public struct Event: Sendable, Codable, Equatable {
        public enum Action: String, Sendable, Codable { case present, add, remove }
        public var action: Action
        public var medium: RemovableMedium
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private let udev: OpaquePointer
    private let monitor: OpaquePointer
    /// The monitor's descriptor: readable when an event waits (for a caller polling several).
    public let descriptor: Int32
    private var known: [String: RemovableMedium] = [:]

    public init() throws(Failure) {
        guard let udev = udev_new() else { throw Failure(description: "libudev is not available here: sticks cannot be watched") }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            udev_unref(udev)
            throw Failure(description: "cannot open a udev monitor (netlink): is systemd-udevd running?")
        }
        guard udev_monitor_filter_add_match_subsystem_devtype(monitor, "block", nil) >= 0,
            udev_monitor_enable_receiving(monitor) >= 0
        else {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw Failure(description: "cannot start the udev monitor")
        }
        self.udev = udev
        self.monitor = monitor
        descriptor = udev_monitor_get_fd(monitor)
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// The media present now (each remembered for its later "remove").
    public func present() -> [Event] {
        MediaScanner.scan().map { medium in
            known[medium.devnode] = medium
            return Event(action: .present, medium: medium)
        }
    }

    /// The next arrival or departure of a USB medium, or nil when `timeout` passes first (zero:
    /// only what is already waiting). Other block devices' events are read and dropped.
    public func next(timeout: Duration) throws(Failure) -> Event? {
        let deadline = ContinuousClock.now + timeout
        while true {
            do throws(SystemError) {
                guard try Syscall.waitReadable(descriptor, until: deadline) else { return nil }
            } catch {
                throw Failure(description: "waiting for udev events failed: \(error)")
            }
            guard let device = udev_monitor_receive_device(monitor) else { continue }
            defer { udev_device_unref(device) }
            if let event = classify(device) { return event }
        }
    }

    private func classify(_ device: OpaquePointer) -> Event? {
        guard let action = udev_device_get_action(device).map({ String(cString: $0) }),
            let node = udev_device_get_devnode(device).map({ String(cString: $0) })
        else { return nil }
        switch action {
        case "add", "change":
            guard udev_device_get_property_value(device, "ID_BUS").map({ String(cString: $0) }) == "usb",
                let medium = MediaScanner.medium(device, mounts: MediaScanner.currentMounts())
            else { return nil }
            // A "change" (a new medium in a card reader, a new partition table) of a medium
            // already seen is not an arrival.
            if action == "change" && known[node] != nil { return nil }
            known[node] = medium
            return Event(action: .add, medium: medium)
        case "remove":
            guard let medium = known.removeValue(forKey: node) else { return nil }
            return Event(action: .remove, medium: medium)
        default:
            return nil
        }
    }
}
