import BridgeWire
import CUSBRedirParser
import Foundation
import Glibc
import Logging
import MFPEmulator
import MFPKit
import Testing

@testable import MFPUSBDevice

/// The usbredir device side against a usbredir host side made here with the same parser
/// (libusbredirparser, as QEMU's usb-redir uses it), over a Unix socket: what QEMU would see,
/// without QEMU. scripts/hil-rig checks the same through a real guest kernel.
@Suite(.serialized) struct USBRedirDeviceTests {
    /// QEMU's side of the connection: sends requests, records what the device sends back.
    final class Peer {
        let fd: Int32
        var parser: UnsafeMutablePointer<usbredirparser>!
        var connected = 0
        var disconnected = 0
        var vendorID: UInt16 = 0
        var interfaceCount = 0
        var controls: [UInt64: (status: UInt8, data: [UInt8])] = [:]
        var bulks: [UInt64: (status: UInt8, data: [UInt8])] = [:]

        init(fd: Int32) {
            self.fd = fd
            parser = usbredirparser_create()
            parser.pointee.priv = Unmanaged.passUnretained(self).toOpaque()
            parser.pointee.read_func = { priv, data, count in
                let peer = Unmanaged<Peer>.fromOpaque(priv!).takeUnretainedValue()
                let got = recv(peer.fd, data, Int(count), Int32(MSG_DONTWAIT))
                return got < 0 ? (errno == EAGAIN ? 0 : -1) : (got == 0 ? -1 : Int32(got))
            }
            parser.pointee.write_func = { priv, data, count in
                let peer = Unmanaged<Peer>.fromOpaque(priv!).takeUnretainedValue()
                let sent = send(peer.fd, data, Int(count), Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                return sent < 0 ? (errno == EAGAIN ? 0 : -1) : Int32(sent)
            }
            // The parser calls every callback of what it receives without checking: set them all.
            parser.pointee.log_func = { _, _, _ in }
            parser.pointee.hello_func = { _, _ in }
            parser.pointee.ep_info_func = { _, _ in }
            parser.pointee.configuration_status_func = { _, _, _ in }
            parser.pointee.alt_setting_status_func = { _, _, _ in }
            parser.pointee.interrupt_receiving_status_func = { _, _, _ in }
            parser.pointee.bulk_streams_status_func = { _, _, _ in }
            parser.pointee.iso_stream_status_func = { _, _, _ in }
            parser.pointee.filter_reject_func = { _ in }
            parser.pointee.filter_filter_func = { _, rules, _ in usbredirfilter_free(UnsafeMutableRawPointer(rules)) }
            parser.pointee.device_connect_func = { priv, header in
                let peer = Unmanaged<Peer>.fromOpaque(priv!).takeUnretainedValue()
                peer.connected += 1
                peer.vendorID = header!.pointee.vendor_id
            }
            parser.pointee.device_disconnect_func = { priv in
                Unmanaged<Peer>.fromOpaque(priv!).takeUnretainedValue().disconnected += 1
            }
            parser.pointee.interface_info_func = { priv, header in
                Unmanaged<Peer>.fromOpaque(priv!).takeUnretainedValue().interfaceCount = Int(header!.pointee.interface_count)
            }
            parser.pointee.control_packet_func = { priv, id, header, data, length in
                let peer = Unmanaged<Peer>.fromOpaque(priv!).takeUnretainedValue()
                peer.controls[id] = (header!.pointee.status, data.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? [])
                if let data { usbredirparser_free_packet_data(peer.parser, data) }
            }
            parser.pointee.bulk_packet_func = { priv, id, header, data, length in
                let peer = Unmanaged<Peer>.fromOpaque(priv!).takeUnretainedValue()
                peer.bulks[id] = (header!.pointee.status, data.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? [])
                if let data { usbredirparser_free_packet_data(peer.parser, data) }
            }
            var caps = [UInt32](repeating: 0, count: Int(USB_REDIR_CAPS_SIZE))
            for cap in [
                usb_redir_cap_connect_device_version, usb_redir_cap_ep_info_max_packet_size, usb_redir_cap_64bits_ids,
                usb_redir_cap_32bits_bulk_length, usb_redir_cap_device_disconnect_ack,
            ] {
                usbredirparser_caps_set_cap(&caps, Int32(cap))
            }
            usbredirparser_init(parser, "test host side", &caps, USB_REDIR_CAPS_SIZE, 0)
        }

        deinit {
            usbredirparser_destroy(parser)
            close(fd)
        }

        /// Moves bytes both ways until `done` or 10 s.
        func pump(until done: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if usbredirparser_has_data_to_write(parser) != 0 { _ = usbredirparser_do_write(parser) }
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 1, 20)
                if fds[0].revents != 0 { _ = usbredirparser_do_read(parser) }
                if done() { return true }
            }
            return false
        }

        func control(_ id: UInt64, requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: UInt16) {
            var header = usb_redir_control_packet_header(
                endpoint: requestType & 0x80, request: request, requesttype: requestType, status: 0, value: value,
                index: index, length: length)
            usbredirparser_send_control_packet(parser, id, &header, nil, 0)
        }

        func bulk(_ id: UInt64, endpoint: UInt8, bytes: [UInt8], length: Int) {
            var header = usb_redir_bulk_packet_header(
                endpoint: endpoint, status: 0, length: UInt16(length & 0xffff), stream_id: 0, length_high: UInt16(length >> 16))
            var data = bytes
            data.withUnsafeMutableBufferPointer { buffer in
                usbredirparser_send_bulk_packet(parser, id, &header, buffer.count == 0 ? nil : buffer.baseAddress, Int32(buffer.count))
            }
        }
    }

    func machine() throws -> VirtualMFP {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mfpb-redir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        return try VirtualMFP(profile: try ProfileCatalog(directory: profiles).load("aurora-c5540"), stateDirectory: state, logger: logger)
    }

    /// The device listening on a socket, and the peer connected to it.
    func connected(_ machine: VirtualMFP) throws -> (USBRedirDevice, Peer) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("redir-\(UUID().uuidString.prefix(8)).sock").path
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let device = try USBRedirDevice(machine: machine, address: .unix(path: path), listens: true, logger: logger)
        Thread { device.run() }.start()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        var ok = false
        for _ in 0..<100 where !ok {
            ok =
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                } == 0
            if !ok { usleep(20_000) }
        }
        try #require(ok, "the device never listened on \(path)")
        return (device, Peer(fd: fd))
    }

    @Test("after the peer's hello the device presents itself; descriptors and the printer's IEEE 1284 id come back")
    func presentsAndDescribes() throws {
        let machine = try machine()
        let (device, peer) = try connected(machine)
        defer { device.stop() }
        #expect(peer.pump { peer.connected == 1 }, "no device_connect")
        #expect(peer.vendorID == machine.profile.usb.vendorID)
        #expect(peer.interfaceCount == machine.profile.usb.interfaces.count)
        peer.control(1, requestType: 0x80, request: 6, value: 0x0100, index: 0, length: 18)
        let printer = try #require(machine.profile.usb.interfaces.first { $0.interfaceClass == 7 })
        peer.control(2, requestType: 0xa1, request: 0, value: 0, index: UInt16(printer.number) << 8, length: 1024)
        peer.control(3, requestType: 0xc0, request: 9, value: 0, index: 0, length: 8)
        #expect(peer.pump { peer.controls.count == 3 })
        let descriptor = try #require(peer.controls[1])
        #expect(descriptor.status == 0 && descriptor.data.count == 18)
        #expect(UInt16(descriptor.data[8]) | UInt16(descriptor.data[9]) << 8 == machine.profile.usb.vendorID)
        let id = String(decoding: try #require(peer.controls[2]).data.dropFirst(2), as: UTF8.self)
        #expect(id.contains("MDL:\(machine.profile.usb.product);"))
        #expect(peer.controls[3]?.status == 3) // a vendor request stalls
    }

    @Test("a hello frame sent on the vendor interface's bulk OUT is answered on its bulk IN")
    func vendorLinkCarriesTheWireProtocol() throws {
        let machine = try machine()
        let (device, peer) = try connected(machine)
        defer { device.stop() }
        #expect(peer.pump { peer.connected == 1 })
        let link = try #require(machine.profile.usb.interfaces.first { $0.interfaceClass == 0xff })
        let hello = Frame(type: .request, id: 7, payload: Request.hello(minVersion: 1, maxVersion: 1, software: "test").encoded())
        peer.bulk(10, endpoint: link.bulkIn!, bytes: [], length: 64 * 1024)
        peer.bulk(11, endpoint: link.bulkOut!, bytes: hello.encoded(.raw), length: hello.encoded(.raw).count)
        #expect(peer.pump { peer.bulks[10] != nil && peer.bulks[11] != nil }, "no answer on bulk IN")
        #expect(peer.bulks[11]?.status == 0)
        var decoder = makeFrameDecoder(.raw)
        let answer = try #require(peer.bulks[10]).data
        answer.withUnsafeBytes { decoder.feed($0) }
        guard case let .frame(frame) = decoder.next() else {
            Issue.record("the bulk IN data is not a frame: \(answer.count) bytes")
            return
        }
        #expect(frame.id == 7 && frame.type == .response)
        guard case let .hello(_, model, serial, _) = try Response.decode(frame.payload) else {
            Issue.record("not a hello answer")
            return
        }
        #expect(model == machine.profile.model && serial == machine.profile.serialNumber)
    }

    @Test("unplug sends device_disconnect on the open connection, replug presents the device again")
    func unplugAndReplug() throws {
        let machine = try machine()
        let (device, peer) = try connected(machine)
        defer { device.stop() }
        #expect(peer.pump { peer.connected == 1 })
        machine.attach(device)
        #expect(try machine.apply(.unplug) == "ok")
        #expect(peer.pump { peer.disconnected == 1 }, "no device_disconnect after unplug")
        #expect(throws: EmulatorError.self) { try machine.apply(.unplug) }
        #expect(try machine.apply(.replug) == "ok")
        #expect(peer.pump { peer.connected == 2 }, "no device_connect after replug")
    }
}
