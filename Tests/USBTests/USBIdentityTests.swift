import Foundation
import MFPTestTools
import Testing

/// Addresses that name more or less than one machine, and machines swapped on a port mid-operation.
/// Nested in `USBLinkTests` (serialized: every test resets the one emulated bus).
extension USBLinkTests {
    @Suite(.serialized, .enabled(if: USBHarness.shared != nil, Comment(rawValue: USBHarness.unavailableReason ?? "")))
    struct USBIdentityTests {
        let harness: USBHarness
        let folder: String
        let environment: [String: String]

        init() throws {
            harness = try #require(USBHarness.shared)
            try harness.reset()
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-usb-identity-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            environment = ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": folder + "/data"]
        }

        /// An Aurora C5540i's USB identity with another serial number.
        static func aurora(serial: String) -> [String: Any] {
            [
                "vendorID": 0x3A5C, "productID": 0x0C55, "manufacturer": "Orison Imaging", "product": "Aurora C5540i", "serial": serial,
                "interfaces": [
                    ["number": 0, "interfaceClass": 255, "subclass": 255, "interfaceProtocol": 255, "bulkIn": 0x81, "bulkOut": 0x02]
                ],
            ]
        }

        @Test("an address that names two machines is a usage error (exit 2) listing both, and --wait does not retry it")
        func ambiguousAddress() throws {
            _ = try harness.plug(device: Self.aurora(serial: "AUR-A"), behavior: "emulator", profile: "aurora-c5540")
            _ = try harness.plug(device: Self.aurora(serial: "AUR-B"), behavior: "emulator", profile: "aurora-c5540")
            let status = try CLI.run(["status", "--device", "usb:3a5c:0c55"], environment: environment)
            #expect(status.status == 2, "\(status.stderr)")
            #expect(status.stderr.contains("usb:3a5c:0c55:AUR-A") && status.stderr.contains("usb:3a5c:0c55:AUR-B"), "\(status.stderr)")
            let waiting = try CLI.run(
                ["box-backup", "--device", "usb:3a5c:0c55", "--wait", "--wait-timeout", "60", "-o", folder + "/x.mfpbox"],
                environment: environment)
            #expect(waiting.status == 2, "\(waiting.stderr)")
            #expect(!waiting.stderr.contains("Waiting for the device"), "--wait retried a usage error: \(waiting.stderr)")
        }

        @Test("a device present but not on the allow-list is reported as such, and not opened")
        func presentButNotAllowed() throws {
            let adapter = try harness.plug(device: USBHarness.unrelatedSerialAdapter, behavior: "inert")
            let status = try CLI.run(["status", "--device", "usb:0403:6001"], environment: environment)
            #expect(status.status == 3)
            #expect(status.stderr.contains("is plugged in at \(adapter)") && status.stderr.contains("allow-list"), "\(status.stderr)")
            #expect(!status.stderr.contains("is it plugged in"), "\(status.stderr)")
            #expect(try harness.stats(adapter)["opens"] == nil)
        }

        @Test("a box backup cut by an unplug is refused by another machine plugged into the same port, and finishes on the first")
        func swappedOnThePort() throws {
            let state = try harness.emulatorState(profile: "aurora-c5540")
            defer { _ = try? CLI.run(["emulate-ctl", "--state", state, "box", "size", "\(1 << 20)"]) }
            #expect(try CLI.run(["emulate-ctl", "--state", state, "box", "size", "\(192 << 20)"]).status == 0)
            let port = try harness.plug(profile: "aurora-c5540")
            let output = folder + "/box.mfpbox"
            let backup = try BackgroundCommand(["box-backup", "--device", "usb:\(port)", "-o", output], environment: environment)
            let journal = state + "/box/export.journal"
            let deadline = ContinuousClock.now + .seconds(30)
            func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
            while ContinuousClock.now < deadline, backup.process.isRunning, size(journal) < 128 || size(output + ".part.ckpt") == 0 {
                usleep(5_000)
            }
            try #require(backup.process.isRunning, "the backup ended before the unplug: \(backup.output)")
            try harness.unplug(port)
            #expect(backup.waitForExit(timeout: .seconds(30)) == 8, "\(backup.output)")

            // Another machine in the same port.
            let other = try harness.plug(profile: "aurora-c5560")
            #expect(other == port, "the harness used another port")
            let refused = try CLI.run(["box-backup", "--device", "usb:\(port)", "-o", output], environment: environment)
            #expect(refused.status == 3, "\(refused.stderr)")
            #expect(refused.stderr.contains("AUR5540-000731") && refused.stderr.contains("AUR5560-001208"), "\(refused.stderr)")
            #expect(FileManager.default.fileExists(atPath: output + ".part"))
            #expect(!FileManager.default.fileExists(atPath: output))
            try harness.unplug(other)

            _ = try harness.plug(profile: "aurora-c5540")
            let finished = try CLI.run(["box-backup", "--device", "usb:\(port)", "-o", output], environment: environment)
            #expect(finished.status == 0, "\(finished.stderr)")
            #expect(finished.stdout.contains("resumed at byte"), "\(finished.stdout)")
            #expect(try CLI.run(["verify", output]).status == 0)
        }
    }
}
