import BridgeClient
import BridgeLink
import CLibUSB
import Foundation
import Logging
import Testing

/// scripts/bench-usb: throughput over USBLink against the raw bulk echo of the same harness, in
/// one run. Export does not exist yet: status round trips and a bulk payload echo stand in for it.
@Suite(
    .serialized,
    .enabled(
        if: USBHarness.shared != nil && ProcessInfo.processInfo.environment["MFPB_USB_BENCH"] == "1",
        "benchmark: run scripts/bench-usb (needs the emulated USB bus and MFPB_USB_BENCH=1)"))
struct USBBenchmark {
    static var echoDevice: [String: Any] {
        [
            "vendorID": 0x3A5C, "productID": 0x0EC0, "manufacturer": "mfpbridge", "product": "Echo", "serial": "ECHO-B",
            "interfaces": [
                ["number": 0, "interfaceClass": 255, "subclass": 255, "interfaceProtocol": 255, "bulkIn": 0x81, "bulkOut": 0x02]
            ],
        ]
    }

    func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) / 1e18
    }

    /// Raw libusb: synchronous OUT then IN of `size` bytes, `count` times (MB/s, OUT+IN bytes).
    func rawEcho(vendor: UInt16, product: UInt16, size: Int, count: Int) throws -> Double {
        var context: OpaquePointer?
        try #require(libusb_init(&context) == 0)
        defer { libusb_exit(context) }
        let handle = try #require(libusb_open_device_with_vid_pid(context, vendor, product))
        defer { libusb_close(handle) }
        try #require(libusb_claim_interface(handle, 0) == 0)
        defer { libusb_release_interface(handle, 0) }
        var out = [UInt8](repeating: 0, count: size)
        for i in 0..<size { out[i] = UInt8(truncatingIfNeeded: i &* 7) }
        var input = [UInt8](repeating: 0, count: size)
        let started = ContinuousClock.now
        for _ in 0..<count {
            var moved: Int32 = 0
            try #require(libusb_bulk_transfer(handle, 0x02, &out, Int32(size), &moved, 5000) == 0)
            var got = 0
            while got < size {
                let result = input.withUnsafeMutableBufferPointer {
                    libusb_bulk_transfer(handle, 0x81, $0.baseAddress! + got, Int32(size - got), &moved, 5000)
                }
                try #require(result == 0)
                got += Int(moved)
            }
        }
        return Double(2 * size * count) / seconds(ContinuousClock.now - started) / 1e6
    }

    /// The same echo through USBLink (several transfers in flight, ZLPs, the receive queue).
    func linkEcho(_ link: USBLink, size: Int, count: Int) throws -> Double {
        let out = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let started = ContinuousClock.now
        for _ in 0..<count {
            try link.send(out)
            var got = 0
            while got < size { got += try link.receive(maxBytes: size - got, timeout: .seconds(5)).count }
        }
        return Double(2 * size * count) / seconds(ContinuousClock.now - started) / 1e6
    }

    @Test func throughput() throws {
        let harness = try #require(USBHarness.shared)
        try harness.reset()
        _ = try harness.plug(device: Self.echoDevice, behavior: "echo")
        let mfp = try harness.plug(profile: "aurora-c5540")
        var lines: [String] = []
        func report(_ line: String) {
            lines.append(line)
            print("bench-usb: " + line)
        }
        for (size, count) in [(16 * 1024, 400), (64 * 1024, 200), (1024 * 1024, 30)] {
            let raw = try rawEcho(vendor: 0x3A5C, product: 0x0EC0, size: size, count: count)
            let link = try USBLink.open(address: "usb:3a5c:0ec0", allowList: .builtIn)
            let viaLink = try linkEcho(link, size: size, count: count)
            link.close()
            report(
                String(
                    format: "echo %7d B x %3d: raw libusb %7.1f MB/s, USBLink %7.1f MB/s, ratio USBLink/raw %.2f",
                    size, count, raw, viaLink, viaLink / raw))
        }
        // Status round trips (request about 60 B, answer about 700 B) against raw echo round trips
        // of a 1 KiB payload.
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let link = try USBLink.open(address: "usb:\(mfp)")
        let session = DeviceSession(link: link, logger: logger)
        try session.hello()
        try session.login(user: "Administrator", password: "7654321")
        let rounds = 300
        var started = ContinuousClock.now
        for _ in 0..<rounds { _ = try session.status() }
        let statusPerSecond = Double(rounds) / seconds(ContinuousClock.now - started)
        link.close()
        started = ContinuousClock.now
        let rawSmall = try rawEcho(vendor: 0x3A5C, product: 0x0EC0, size: 1024, count: rounds)
        let rawPerSecond = rawSmall * 1e6 / 2048
        report(
            String(
                format: "status round trips over USBLink %.0f/s; raw 1 KiB echo round trips %.0f/s; ratio %.2f",
                statusPerSecond, rawPerSecond, statusPerSecond / rawPerSecond))
        #expect(lines.count == 4)
    }
}
