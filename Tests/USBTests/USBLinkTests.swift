import BridgeClient
import BridgeLink
import BridgeWire
import Foundation
import Logging
import MFPKit
import MFPTestTools
import Testing

/// Real libusb and libudev against USB devices emulated by umockdev (tests-harness/usb/harness.py),
/// the vendor interface served by the Swift emulator. Run with scripts/usb-tests; anywhere else
/// every test here is skipped with the reason.
@Suite(.serialized, .enabled(if: USBHarness.shared != nil, Comment(rawValue: USBHarness.unavailableReason ?? "")))
struct USBLinkTests {
    let harness: USBHarness
    static let auroraIDs = "3a5c:0c55"
    static let auroraSerial = "AUR5540-000731"

    init() throws {
        harness = try #require(USBHarness.shared)
        try harness.reset()
    }

    func logger() -> Logger {
        var logger = Logger(label: "usb-test")
        logger.logLevel = .warning
        return logger
    }

    /// A logged-in session on `address`.
    func session(_ address: String) throws -> (USBLink, DeviceSession) {
        let link = try USBLink.open(address: address)
        let session = DeviceSession(link: link, logger: logger())
        try session.hello()
        try session.login(user: "Administrator", password: "7654321")
        return (link, session)
    }

    @Test("only allow-listed devices are listed; unrelated devices are never opened")
    func enumerationAndAllowList() throws {
        let aurora = try harness.plug(profile: "aurora-c5540")
        let adapter = try harness.plug(device: USBHarness.unrelatedSerialAdapter, behavior: "inert")
        let mouse = try harness.plug(device: USBHarness.unrelatedMouse, behavior: "inert")

        let devices = try USBDeviceScanner.list(allowList: .builtIn)
        #expect(devices.map(\.busPath) == [aurora])
        let device = try #require(devices.first)
        #expect(device.vendorID == 0x3A5C && device.productID == 0x0C55)
        #expect(device.serial == Self.auroraSerial)
        #expect(device.product == "Aurora C5540i")
        #expect(device.interfaces.map(\.classTriple) == ["ff/ff/ff", "07/01/02", "07/01/04"])
        #expect(device.linkInterface == 0)
        #expect(device.canOpen)
        #expect(device.address == "usb:3a5c:0c55:\(Self.auroraSerial)")

        // The CLI lists the same, with the model from the profile.
        let listing = try CLI.run(["devices", "--json"])
        #expect(listing.status == 0, "\(listing.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])
        let usb = try #require(object["usbDevices"] as? [[String: Any]])
        #expect(usb.count == 1)
        #expect(usb.first?["model"] as? String == "Aurora C5540i")
        #expect(usb.first?["busPath"] as? String == aurora)
        #expect(usb.first?["canOpen"] as? Bool == true)
        #expect(usb.first?["serialNumber"] as? String == Self.auroraSerial)

        // Open and use ours; then prove the others saw nothing at all: no open, no ioctl, no claim.
        let (link, session) = try session("usb:\(Self.auroraIDs)")
        _ = try session.status()
        link.close()
        for other in [adapter, mouse] {
            let stats = try harness.stats(other)
            #expect(stats["opens"] == nil && stats["ioctls"] == nil, "unrelated device \(other) was touched: \(stats)")
            #expect((stats["claims"] as? [Int]) == [])
        }
        // Ours: only the vendor interface was asked about a kernel driver and claimed.
        let ours = try harness.stats(aurora)
        #expect((ours["claims"] as? [Int]) == [0])
        #expect(((ours["driverQueries"] as? [Int]) ?? []).allSatisfy { $0 == 0 })
    }

    @Test("status runs end to end over usb: addresses (ids, ids and serial, bus path)")
    func statusOverUSB() throws {
        let aurora = try harness.plug(profile: "aurora-c5540")
        for address in ["usb:\(Self.auroraIDs)", "usb:\(Self.auroraIDs):\(Self.auroraSerial)", "usb:\(aurora)"] {
            let result = try CLI.run(["status", "--device", address, "--json"], environment: ["MFPBRIDGE_PASSWORD": "7654321"])
            #expect(result.status == 0, "\(address): \(result.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(report["model"] as? String == "Aurora C5540i")
            #expect(report["serialNumber"] as? String == Self.auroraSerial)
            #expect(report["address"] as? String == address)
        }
        // A wrong serial is not found (exit 3) and says how devices are matched.
        let missing = try CLI.run(["status", "--device", "usb:\(Self.auroraIDs):NOPE"], environment: ["MFPBRIDGE_PASSWORD": "7654321"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no mfpbridge USB device matches usb:3a5c:0c55:NOPE"))
    }

    @Test("export and import run end to end over usb: and the restore changes nothing on the same machine")
    func exportImportOverUSB() throws {
        let aurora = try harness.plug(profile: "aurora-c5540")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-usb-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let environment = ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": folder + "/data"]
        let bundle = folder + "/backup.mfpb"
        let export = try CLI.run(["export", "--device", "usb:\(aurora)", "--all", "-o", bundle], environment: environment)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("address-book"))
        let restore = try CLI.run(["import", "--device", "usb:\(aurora)", bundle, "--yes"], environment: environment)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("0 overwritten, 0 added"))
        #expect(try CLI.run(["verify", bundle]).status == 0)
    }

    @Test("a stalled endpoint is cleared (clear-halt) and the request goes through")
    func stallRecovered() throws {
        let aurora = try harness.plug(profile: "aurora-c5540")
        let (link, session) = try session("usb:\(aurora)")
        defer { link.close() }
        try harness.set(aurora, ["stall": [0x81, 0x02]])
        let status = try session.status()
        #expect(status.model == "Aurora C5540i")
        let stats = try harness.stats(aurora)
        #expect((stats["clear_halts"] as? Int ?? 0) >= 2, "\(stats)")
        #expect((stats["stalled_urbs"] as? Int ?? 0) >= 2, "\(stats)")
        #expect(link.statistics.stallsRecovered >= 2)
        // And it keeps working afterwards.
        _ = try session.status()
    }

    @Test("a device that never answers: receive times out, the request fails with a clear error")
    func silentDevice() throws {
        let aurora = try harness.plug(profile: "aurora-c5540")
        let (link, session) = try session("usb:\(aurora)")
        defer { link.close() }
        try harness.set(aurora, ["mute": true])
        let started = ContinuousClock.now
        #expect(try link.receive(maxBytes: 100, timeout: .milliseconds(300)).isEmpty)
        #expect(ContinuousClock.now - started >= .milliseconds(290))
        do {
            _ = try session.call(.status, timeout: .milliseconds(500), attempts: 2)
            Issue.record("a mute device answered")
        } catch {
            #expect(error.status == .unreachable)
            #expect(error.message.contains("did not answer"))
        }
    }

    @Test("unplug during a request: vanished (resumable); replug: watch sees both, the same device works again")
    func unplugAndReplug() throws {
        let watch = try BackgroundCommand(["watch", "--json"])
        defer { watch.stop() }
        #expect(watch.waitForLine { $0.hasPrefix("watching USB devices") } != nil, "\(watch.output)")

        let aurora = try harness.plug(profile: "aurora-c5540")
        let added = watch.waitForLine { $0.contains("\"event\":\"add\"") }
        #expect(added?.contains("\"address\":\"usb:3a5c:0c55:\(Self.auroraSerial)\"") == true, "\(watch.output)")

        let (link, session) = try session("usb:\(Self.auroraIDs):\(Self.auroraSerial)")
        try harness.set(aurora, ["hold": true]) // the device takes the request but does not answer yet
        let request = Frame(type: .request, id: 99, payload: Request.status.encoded())
        try session.channel.send(request)
        let harness = self.harness
        let unplugger = Thread {
            usleep(300_000)
            try? harness.unplug(aurora)
        }
        unplugger.start()
        let outcome = onThread(timeout: .seconds(20)) { () -> LinkError? in
            do throws(LinkError) {
                _ = try link.receive(maxBytes: 65536, timeout: .seconds(15))
                return nil
            } catch {
                return error
            }
        }
        let failure = try #require(outcome ?? nil, "the read did not end when the device was unplugged")
        #expect(failure.code == .vanished)
        #expect(failure.message.contains("unplugged") && failure.message.contains("resumable"))
        #expect(throws: LinkError.self) { try link.send([1, 2, 3]) }
        link.close()
        let removed = watch.waitForLine { $0.contains("\"event\":\"remove\"") }
        #expect(removed?.contains(Self.auroraSerial) == true, "\(watch.output)")

        // Replugged (a new device number on the bus, as on real hardware): the same machine again.
        _ = try harness.plug(profile: "aurora-c5540")
        #expect(watch.waitForLine { $0.contains("\"event\":\"add\"") && $0 != added } != nil, "\(watch.output)")
        let (again, resumed) = try self.session("usb:\(Self.auroraIDs):\(Self.auroraSerial)")
        defer { again.close() }
        #expect(try resumed.status().serialNumber == Self.auroraSerial)
    }

    @Test("a quirks file admits other ids and another interface layout; without it the device is left alone")
    func quirksFile() throws {
        // A lab machine with foreign ids; its wire protocol on interface 2 (class ff/42/01), not 0.
        let device: [String: Any] = [
            "vendorID": 0x1209, "productID": 0x7A01, "manufacturer": "Lab", "product": "Bench MFP", "serial": "LAB-7",
            "linkInterface": 2,
            "interfaces": [
                ["number": 0, "interfaceClass": 7, "subclass": 1, "interfaceProtocol": 2, "bulkIn": 0x81, "bulkOut": 0x01],
                ["number": 1, "interfaceClass": 255, "subclass": 255, "interfaceProtocol": 255, "bulkIn": 0x82, "bulkOut": 0x02],
                ["number": 2, "interfaceClass": 255, "subclass": 0x42, "interfaceProtocol": 1, "bulkIn": 0x83, "bulkOut": 0x04],
            ],
        ]
        let lab = try harness.plug(device: device, behavior: "emulator", profile: "meridian-m3200")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-quirks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let quirks = folder + "/quirks.json"
        let none = ["MFPBRIDGE_QUIRKS": folder + "/absent.json", "MFPBRIDGE_PASSWORD": "7654321"]

        // Without quirks: not listed, not opened, refused by address.
        #expect(try USBDeviceScanner.list(allowList: .standard(environment: none)).isEmpty)
        let refused = try CLI.run(["status", "--device", "usb:1209:7a01"], environment: none)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("allow-list"))
        #expect(try harness.stats(lab)["opens"] == nil)

        try Data(
            """
            {"devices": [{"vendorID": "0x1209", "productID": "7a01", "interfaceClass": "ff", "subclass": "42", "protocol": "01",
                          "model": "Lab Bench MFP"}]}
            """.utf8
        ).write(to: URL(fileURLWithPath: quirks))
        let with = ["MFPBRIDGE_QUIRKS": quirks, "MFPBRIDGE_PASSWORD": "7654321"]
        let devices = try USBDeviceScanner.list(allowList: .standard(environment: with))
        #expect(devices.map(\.busPath) == [lab])
        #expect(devices.first?.linkInterface == 2)
        #expect(devices.first?.model == "Lab Bench MFP")
        #expect(devices.first?.matchedBy == quirks)

        let result = try CLI.run(["status", "--device", "usb:1209:7a01:LAB-7", "--json"], environment: with)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"model\" : \"Meridian M3200\""))
        let stats = try harness.stats(lab)
        #expect((stats["claims"] as? [Int]) == [2], "only the quirks' interface is claimed: \(stats)")
    }

    @Test("a write that is a multiple of wMaxPacketSize ends with a zero-length packet; echo is byte-exact")
    func zeroLengthPacket() throws {
        let echo: [String: Any] = [
            "vendorID": 0x3A5C, "productID": 0x0EC0, "manufacturer": "mfpbridge", "product": "Echo", "serial": "ECHO-1",
            "interfaces": [
                ["number": 0, "interfaceClass": 255, "subclass": 255, "interfaceProtocol": 255, "bulkIn": 0x81, "bulkOut": 0x02]
            ],
        ]
        let port = try harness.plug(device: echo, behavior: "echo")
        let link = try USBLink.open(address: "usb:\(port)", allowList: .builtIn)
        defer { link.close() }
        let exact = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try link.send(exact)
        #expect(try receive(link, count: exact.count) == exact)
        #expect(try harness.stats(port)["zlps"] as? Int == 1)
        #expect(link.statistics.zeroLengthPackets == 1)
        let odd = Array(exact.prefix(1000))
        try link.send(odd)
        #expect(try receive(link, count: odd.count) == odd)
        #expect(try harness.stats(port)["zlps"] as? Int == 1)
        // Several transfers in flight: 1 MiB in 64 KiB pieces comes back whole and in order.
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try link.send(big)
        #expect(try receive(link, count: big.count) == big)
    }

    @Test("doctor reports versions, the rules file and each device node; exit 1 with fixes when the rule is missing")
    func doctor() throws {
        _ = try harness.plug(profile: "aurora-c5540")
        let result = try CLI.run(["doctor", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        #expect((report["libusbVersion"] as? String)?.hasPrefix("1.0.") == true)
        let devices = try #require(report["devices"] as? [[String: Any]])
        #expect(devices.count == 1)
        #expect(devices.first?["canOpen"] as? Bool == true)
        let installed = report["rulesFile"] is String
        #expect(result.status == (report["ok"] as? Bool == true ? 0 : 1))
        if !installed {
            #expect(result.status == 1)
            #expect((report["fixes"] as? [String])?.contains { $0.contains("70-mfpbridge.rules") } == true)
        }
    }

    func receive(_ link: USBLink, count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while bytes.count < count, ContinuousClock.now < deadline {
            bytes += try link.receive(maxBytes: count - bytes.count, timeout: .milliseconds(500))
        }
        return bytes
    }
}

/// Address parsing needs no device: always runs.
@Suite struct USBAddressTests {
    @Test func parsesTheThreeForms() throws {
        #expect(try USBSelector.parse("usb:3a5c:0c55") == .ids(vendorID: 0x3A5C, productID: 0x0C55, serial: nil))
        #expect(try USBSelector.parse("usb:3A5C:C55:AUR-1") == .ids(vendorID: 0x3A5C, productID: 0x0C55, serial: "AUR-1"))
        #expect(try USBSelector.parse("usb:1-4.2") == .port("1-4.2"))
        #expect(try DeviceAddress.parse("usb:3a5c:0c55:X") == .usb(.ids(vendorID: 0x3A5C, productID: 0x0C55, serial: "X")))
        for bad in ["usb:", "usb:zz:0c55", "usb:3a5c", "usb:1-", "usb:12345:1", "usb:3a5c:0c55:"] {
            #expect(throws: LinkError.self, "\(bad)") { try USBSelector.parse(bad) }
        }
    }

    @Test func quirksFileParsing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-quirks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/quirks.json"
        try Data(#"{"devices":[{"vendorID":"0x1209","productID":31233,"interface":3},{"vendorID":"04b8"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let entries = try USBAllowList.quirks(path: path)
        #expect(entries.count == 2)
        #expect(entries[0].vendorID == 0x1209 && entries[0].productID == 0x7A01 && entries[0].interfaceNumber == 3)
        #expect(entries[1].productID == nil && entries[1].interfaceClass == 0xFF)
        try Data(#"{"devices":[{"productID":"1"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        let list = USBAllowList.standard(environment: ["MFPBRIDGE_QUIRKS": path])
        #expect(list.entries == USBAllowList.builtIn.entries)
        #expect(list.warnings.first?.contains("no vendorID") == true)
    }
}
