import BridgeLink
import Foundation
import MFPTestTools
import Synchronization
import Testing

/// The emulated USB bus of `tests-harness/usb/harness.py`, which runs this test process under
/// umockdev (scripts/usb-tests) and answers on the Unix socket `$MFPB_USB_HARNESS`.
final class USBHarness: Sendable {
    static let shared: USBHarness? = ProcessInfo.processInfo.environment["MFPB_USB_HARNESS"].map(USBHarness.init)

    /// Why the USB tests cannot run here, or nil when they can. Printed by every skipped test.
    static let unavailableReason: String? = {
        if shared != nil { return nil }
        let hasUmockdev = FileManager.default.isExecutableFile(atPath: "/usr/bin/umockdev-wrapper")
        let hasGI =
            FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/girepository-1.0/UMockdev-1.0.typelib")
            || FileManager.default.fileExists(atPath: "/usr/lib/aarch64-linux-gnu/girepository-1.0/UMockdev-1.0.typelib")
        if !hasUmockdev || !hasGI {
            return "umockdev is not installed (apt-get install umockdev gir1.2-umockdev-1.0 python3-gi): the emulated USB bus cannot run"
        }
        return "not running under the emulated USB bus: run scripts/usb-tests (it starts tests-harness/usb/harness.py under umockdev)"
    }()

    let path: String
    private let lock = Mutex(())

    init(path: String) {
        self.path = path
    }

    /// Sends one request, returns the answer; throws when the harness says it failed.
    @discardableResult
    func call(_ request: [String: Any]) throws -> [String: Any] {
        try lock.withLock { _ in
            let link = try SocketLink.connect(path: path)
            defer { link.close() }
            try link.send(Array(try JSONSerialization.data(withJSONObject: request)) + [0x0A])
            var answer: [UInt8] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while answer.last != 0x0A, ContinuousClock.now < deadline {
                answer += try link.receive(maxBytes: 65536, timeout: .milliseconds(500))
            }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
            guard object["ok"] as? Bool == true else {
                throw HarnessError("harness: \(request["op"] ?? "?") failed: \(object["error"] ?? "no answer")")
            }
            return object
        }
    }

    func reset() throws { try call(["op": "reset"]) }

    /// Plugs a device with a profile's USB identity, served by the Swift emulator. Returns its bus path.
    func plug(profile: String) throws -> String {
        try #require(try call(["op": "plug", "profile": profile])["busPath"] as? String)
    }

    /// Plugs a device described in full; `behavior` is "emulator" (with `profile`), "echo" or "inert".
    func plug(device: [String: Any], behavior: String, profile: String? = nil) throws -> String {
        var request: [String: Any] = ["op": "plug", "device": device, "behavior": behavior]
        if let profile { request["profile"] = profile }
        return try #require(try call(request)["busPath"] as? String)
    }

    func unplug(_ busPath: String) throws { try call(["op": "unplug", "busPath": busPath]) }

    /// Plugs a USB stick (udev and sysfs only: umockdev has no block I/O). `index` 0 is sda, 1 sdb.
    /// Returns its sysfs path, for ``unplugStick(_:)``.
    func plugStick(label: String, serial: String, index: Int = 0, fileSystem: String = "vfat", writeProtected: Bool = false) throws
        -> String
    {
        let stick: [String: Any] = [
            "label": label, "serial": serial, "index": index, "fileSystem": fileSystem, "writeProtected": writeProtected,
            "sizeBytes": 64 << 20,
        ]
        return try #require(try call(["op": "plug_stick", "stick": stick])["syspath"] as? String)
    }

    func unplugStick(_ syspath: String) throws { try call(["op": "unplug_stick", "syspath": syspath]) }

    func set(_ busPath: String, _ settings: [String: Any]) throws {
        try call(settings.merging(["op": "set", "busPath": busPath]) { $1 })
    }

    func stats(_ busPath: String) throws -> [String: Any] {
        try call(["op": "stats", "busPath": busPath])
    }

    /// The state folder of the emulator that serves `profile`'s devices (started if need be; kept
    /// across replugs and tests), for `mfpbridge emulate-ctl --state`.
    func emulatorState(profile: String) throws -> String {
        try #require(try call(["op": "emulator", "profile": profile])["state"] as? String)
    }

    /// A USB serial adapter with a vendor-specific interface (ff/ff/ff, like ours) but ids that
    /// are on no allow-list.
    static var unrelatedSerialAdapter: [String: Any] {
        [
            "vendorID": 0x0403, "productID": 0x6001, "manufacturer": "FTDI", "product": "FT232R USB UART", "serial": "A10KZP1",
            "interfaces": [
                ["number": 0, "interfaceClass": 255, "subclass": 255, "interfaceProtocol": 255, "bulkIn": 0x81, "bulkOut": 0x02]
            ],
        ]
    }

    /// A mouse (HID boot protocol).
    static var unrelatedMouse: [String: Any] {
        [
            "vendorID": 0x046D, "productID": 0xC077, "manufacturer": "Logitech", "product": "USB Optical Mouse", "serial": "M0001",
            "interfaces": [["number": 0, "interfaceClass": 3, "subclass": 1, "interfaceProtocol": 2, "interruptIn": 0x81]],
        ]
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs the built `mfpbridge` (beside the test bundle) with the test's environment, which carries
/// umockdev's preload library and testbed.
enum CLI {
    static var binary: String { PackageTool.path("mfpbridge") }

    typealias Result = PackageTool.Result

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try PackageTool.run(binary, arguments, environment: environment)
    }
}

/// Runs `body` on its own thread and hands back its result (nil after `timeout`).
func onThread<T: Sendable>(timeout: Duration = .seconds(30), _ body: @escaping @Sendable () -> T) -> T? {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Thread {
        let value = body()
        result.withLock { $0 = value }
        done.signal()
    }.start()
    let (seconds, _) = timeout.components
    guard done.wait(timeout: .now() + .seconds(Int(seconds))) == .success else { return nil }
    return result.withLock { $0 }
}
