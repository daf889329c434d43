import ArgumentParser
import CLibUSB
import Foundation
import Glibc

/// `usb-echo`: raw synchronous libusb bulk echo (OUT then IN of the same bytes) on one interface
/// of a real USB device: the baseline of scripts/hil-rig --bench, through the same guest, usbfs
/// and emulator (`emulate --usb-echo`) as the box transfers it is compared with.
struct USBEchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usb-echo", abstract: "Raw libusb bulk echo on one interface of a USB device (MB/s, OUT+IN bytes).")

    @Option(help: "The device, VID:PID in hex.") var device: String
    @Option(help: "The interface whose bulk pair echoes.") var interface: Int = 1
    @Option(help: "Bytes a transfer.", transform: nonNegative) var size: Int = 256 * 1024
    @Option(help: "Seconds to run.") var seconds: Double = 3

    func run() throws {
        let ids = device.split(separator: ":").compactMap { UInt16($0, radix: 16) }
        guard ids.count == 2 else { throw ValidationError("--device takes VID:PID in hex") }
        var context: OpaquePointer?
        guard libusb_init(&context) == 0 else { throw ValidationError("libusb_init failed") }
        defer { libusb_exit(context) }
        guard let handle = libusb_open_device_with_vid_pid(context, ids[0], ids[1]) else {
            throw ValidationError("cannot open \(device) (absent, or no permission)")
        }
        defer { libusb_close(handle) }
        let (input, output) = try endpoints(of: handle)
        _ = libusb_set_auto_detach_kernel_driver(handle, 1) // usblp holds the printer interface
        guard libusb_claim_interface(handle, Int32(interface)) == 0 else {
            throw ValidationError("cannot claim interface \(interface)")
        }
        defer { libusb_release_interface(handle, Int32(interface)) }
        var out = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var back = [UInt8](repeating: 0, count: size)
        var moved = 0
        let started = ContinuousClock.now
        var elapsed = 0.0
        while elapsed < seconds {
            var done: Int32 = 0
            guard libusb_bulk_transfer(handle, output, &out, Int32(size), &done, 5000) == 0, done == Int32(size) else {
                throw ValidationError("bulk OUT failed")
            }
            var got = 0
            while got < size {
                let result = back.withUnsafeMutableBufferPointer {
                    libusb_bulk_transfer(handle, input, $0.baseAddress! + got, Int32(size - got), &done, 5000)
                }
                guard result == 0 else { throw ValidationError("bulk IN failed: \(result)") }
                got += Int(done)
            }
            // memcmp: Array's == runs element by element in a debug build.
            guard memcmp(back, out, size) == 0 else { throw ValidationError("the echo differs from what was sent") }
            moved += 2 * size
            let (s, atto) = (ContinuousClock.now - started).components
            elapsed = Double(s) + Double(atto) / 1e18
        }
        print("usb-echo: \(size) B transfers, \(moved) bytes in \(format(elapsed, 2)) s: \(format(Double(moved) / elapsed / 1e6, 1)) MB/s")
    }

    /// The bulk IN and OUT endpoint addresses of `interface` (alternate setting 0).
    func endpoints(of handle: OpaquePointer) throws -> (UInt8, UInt8) {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(libusb_get_device(handle), &config) == 0, let config else {
            throw ValidationError("no configuration descriptor")
        }
        defer { libusb_free_config_descriptor(config) }
        for index in 0..<Int(config.pointee.bNumInterfaces) {
            let setting = config.pointee.interface[index].altsetting[0]
            guard Int(setting.bInterfaceNumber) == interface else { continue }
            var input: UInt8?, output: UInt8?
            for e in 0..<Int(setting.bNumEndpoints) where setting.endpoint[e].bmAttributes & 3 == 2 {
                let address = setting.endpoint[e].bEndpointAddress
                if address & 0x80 != 0 { input = address } else { output = address }
            }
            if let input, let output { return (input, output) }
        }
        throw ValidationError("interface \(interface) has no bulk endpoint pair")
    }
}
