import BridgeSystem
import CUSBRedirParser
import Glibc
import Logging
import MFPKit

/// One usbredir connection, served on the calling thread until the peer goes away: the parser,
/// the device's presence on the bus, its endpoints, and the link session that carries the vendor
/// interface's bulk data to the machine (``VendorLinkSession``).
///
/// Flow control: bulk OUT data is acknowledged once buffered, and the connection stops reading
/// from the peer while more than `outLimit` bytes wait for the machine; bulk IN transfers wait in
/// a queue and are completed with what the machine has written, never more than they asked for.
final class USBRedirConnection {
    let device: USBRedirDevice
    let fd: Int32
    var parser: UnsafeMutablePointer<usbredirparser>!
    var logger: Logger { device.logger }

    var peerClosed = false
    var helloSeen = false
    /// Whether the device is on the peer's bus (device_connect sent, no disconnect since).
    var presented = false
    var configuration: UInt8 = 0
    var halted: Set<UInt8> = []
    /// Bulk IN transfers the peer asked for, per endpoint, oldest first.
    var pendingIn: [UInt8: [(id: UInt64, length: Int)]] = [:]
    /// Bulk OUT bytes for the machine not written to it yet.
    let outBuffer = ByteQueue()
    var session: VendorLinkSession?
    var readBuffer = [UInt8](repeating: 0, count: 1 << 20)
    /// `--usb-echo`: bytes taken on the echo interface, to come back on its IN endpoint.
    let echoBuffer = ByteQueue()

    static let outLimit = 4 << 20
    let linkIn: UInt8
    let linkOut: UInt8

    init(device: USBRedirDevice, fd: Int32) {
        self.device = device
        self.fd = fd
        let link = device.requests.descriptors.linkInterface!
        linkIn = link.bulkIn!
        linkOut = link.bulkOut!
    }

    /// Serves until the peer closes the connection; then withdraws everything and closes it.
    func serve() {
        parser = usbredirparser_create()
        installCallbacks()
        mfpb_redir_init(parser, "mfpbridge emulator")
        defer {
            endSession()
            usbredirparser_destroy(parser)
            Syscall.close(fd)
        }
        while !peerClosed && !device.stopped.load(ordering: .sequentiallyConsistent) {
            followPlugState()
            var fds = [
                pollfd(fd: fd, events: 0, revents: 0),
                pollfd(fd: device.wakeRead, events: Int16(POLLIN), revents: 0),
                pollfd(fd: session?.deviceEnd ?? -1, events: 0, revents: 0),
            ]
            if outBuffer.count < Self.outLimit { fds[0].events |= Int16(POLLIN) }
            if usbredirparser_has_data_to_write(parser) != 0 { fds[0].events |= Int16(POLLOUT) }
            if !(pendingIn[linkIn]?.isEmpty ?? true) { fds[2].events |= Int16(POLLIN) }
            if !outBuffer.isEmpty { fds[2].events |= Int16(POLLOUT) }
            _ = try? Syscall.poll(&fds, timeoutMilliseconds: 500)
            if fds[1].revents != 0 { device.drainWake() }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                if usbredirparser_do_read(parser) != 0 { peerClosed = true }
            }
            flushToMachine()
            serveLinkIn()
            serveEcho()
            if usbredirparser_has_data_to_write(parser) != 0, usbredirparser_do_write(parser) < 0 { peerClosed = true }
        }
    }

    // MARK: presence on the bus

    /// Presents or withdraws the device to match the cable (`unplug`, `replug`).
    func followPlugState() {
        let wanted = device.plugged.load(ordering: .sequentiallyConsistent)
        guard helloSeen, wanted != presented else { return }
        if wanted { present() } else { withdraw() }
    }

    /// Sends the endpoint and interface tables, then device_connect (only after the peer's hello),
    /// and starts a link session.
    func present() {
        let descriptors = device.requests.descriptors
        var type = [UInt8](repeating: 255, count: 32) // usb_redir_type_invalid
        let interval = [UInt8](repeating: 0, count: 32)
        var interfaceOf = [UInt8](repeating: 0, count: 32)
        var maxPacket = [UInt16](repeating: 0, count: 32)
        type[0] = 0
        type[16] = 0 // usb_redir_type_control
        maxPacket[0] = 64
        maxPacket[16] = 64
        for interface in descriptors.identity.interfaces {
            for address in [interface.bulkIn, interface.bulkOut].compactMap({ $0 }) {
                let slot = Int(address & 0x0f) + (address & 0x80 != 0 ? 16 : 0)
                type[slot] = 2 // usb_redir_type_bulk
                interfaceOf[slot] = interface.number
                maxPacket[slot] = USBDescriptorSet.bulkPacketSize
            }
        }
        mfpb_redir_send_ep_info(parser, type, interval, interfaceOf, maxPacket)
        let interfaces = descriptors.identity.interfaces
        mfpb_redir_send_interface_info(
            parser, UInt32(interfaces.count), interfaces.map(\.number), interfaces.map(\.interfaceClass),
            interfaces.map(\.subclass), interfaces.map(\.interfaceProtocol))
        mfpb_redir_send_connect(parser, descriptors.identity.vendorID, descriptors.identity.productID, 0x0100)
        presented = true
        startSession()
        logger.info("plugged in: \(descriptors.identity.product) \(descriptors.identity.serial) on the usbredir bus")
    }

    /// device_disconnect: the peer drops every transfer in flight; so does the machine's side.
    func withdraw() {
        usbredirparser_send_device_disconnect(parser)
        presented = false
        resetEndpoints()
        endSession()
        logger.info("unplugged from the usbredir bus (the machine stays on)")
    }

    func resetEndpoints() {
        pendingIn = [:]
        echoBuffer.removeAll()
        outBuffer.removeAll()
        halted = []
        configuration = 0
    }

    // MARK: the vendor link session

    func startSession() {
        endSession()
        do {
            session = try VendorLinkSession(machine: device.machine, logger: logger, label: device.attachmentDescription)
        } catch {
            logger.error("cannot start the vendor link: \(error)")
        }
    }

    func endSession() {
        session?.end()
        session = nil
    }

    /// Writes buffered bulk OUT bytes to the machine without blocking.
    func flushToMachine() {
        guard let session else { return }
        while !outBuffer.isEmpty {
            let written: Int
            do throws(SystemError) {
                written = try Syscall.write(session.deviceEnd, UnsafeRawBufferPointer(outBuffer.peek(limit: 1 << 20)))
            } catch {
                if error.errno == EAGAIN { return }
                // The machine's side ended: a fresh session takes the next bytes.
                logger.info("the vendor link ended (\(error)); starting a new session")
                outBuffer.removeAll()
                startSession()
                return
            }
            outBuffer.consume(written)
        }
    }

    /// Completes waiting bulk IN transfers of the vendor interface with what the machine wrote.
    func serveLinkIn() {
        guard let session else { return }
        while var queue = pendingIn[linkIn], let first = queue.first {
            let limit = min(first.length, readBuffer.count)
            let result = readBuffer.withUnsafeMutableBytes { raw -> Result<Int, SystemError> in
                Result { () throws(SystemError) -> Int in
                    try Syscall.read(session.deviceEnd, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<limit]))
                }
            }
            let count: Int
            switch result {
            case let .success(got): count = got
            case let .failure(error):
                if error.errno == EAGAIN { return }
                count = 0
            }
            if count == 0 {
                logger.info("the machine closed its vendor link; starting a new session")
                startSession()
                return
            }
            queue.removeFirst()
            pendingIn[linkIn] = queue
            readBuffer.withUnsafeMutableBufferPointer { buffer in
                mfpb_redir_reply_bulk(parser, first.id, linkIn, 0, buffer.baseAddress, UInt32(count), 1)
            }
        }
    }

    // MARK: requests from the peer (called by the parser during do_read)

    func hello() {
        helloSeen = true
        if device.plugged.load(ordering: .sequentiallyConsistent) { present() }
    }

    func reset() {
        // A bus reset: the device comes back unconfigured, with a fresh link session.
        halted = []
        configuration = 0
        if presented { startSession() }
    }

    func control(id: UInt64, header: UnsafeMutablePointer<usb_redir_control_packet_header>, data: UnsafeMutablePointer<UInt8>?) {
        let setup = USBSetup(
            requestType: header.pointee.requesttype, request: header.pointee.request, value: header.pointee.value,
            index: header.pointee.index, length: header.pointee.length)
        var softResetInterface: UInt8?
        let answer = device.requests.answer(setup, halted: &halted) { softResetInterface = $0 }
        if let softResetInterface { logger.info("printer class SOFT_RESET on interface \(softResetInterface)") }
        switch answer {
        case .stall:
            mfpb_redir_reply_control(parser, id, header, 3, nil, 0) // usb_redir_stall
        case var .data(bytes):
            if setup.isIn {
                bytes = Array(bytes.prefix(Int(setup.length)))
                bytes.withUnsafeMutableBufferPointer { buffer in
                    mfpb_redir_reply_control(parser, id, header, 0, buffer.baseAddress, Int32(buffer.count))
                }
            } else {
                mfpb_redir_reply_control(parser, id, header, 0, nil, Int32(setup.length))
            }
        }
    }

    func bulk(id: UInt64, endpoint: UInt8, length: Int, data: UnsafeMutablePointer<UInt8>?, dataLength: Int) {
        if endpoint & 0x80 != 0 {
            if halted.contains(endpoint) {
                mfpb_redir_reply_bulk(parser, id, endpoint, 3, nil, 0, 0)
                return
            }
            pendingIn[endpoint, default: []].append((id, length))
            return
        }
        if endpoint == linkOut, let data, dataLength > 0 {
            outBuffer.append(data, count: dataLength)
        } else if endpoint == device.echoInterface?.bulkOut, let data, dataLength > 0 {
            echoBuffer.append(data, count: dataLength)
        }
        // Anything else (the printer and IPP-over-USB interfaces, which nothing reads yet) is taken and dropped.
        mfpb_redir_reply_bulk(parser, id, endpoint, 0, nil, UInt32(dataLength), 0)
    }

    /// `--usb-echo`: completes the echo interface's waiting IN transfers with what came OUT.
    func serveEcho() {
        guard let input = device.echoInterface?.bulkIn else { return }
        while !echoBuffer.isEmpty, var queue = pendingIn[input], let first = queue.first {
            queue.removeFirst()
            pendingIn[input] = queue
            let bytes = echoBuffer.peek(limit: first.length)
            mfpb_redir_reply_bulk(
                parser, first.id, input, 0, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count), 1)
            echoBuffer.consume(bytes.count)
        }
    }

    func cancel(id: UInt64) {
        for (endpoint, queue) in pendingIn {
            guard let index = queue.firstIndex(where: { $0.id == id }) else { continue }
            pendingIn[endpoint]!.remove(at: index)
            mfpb_redir_reply_bulk(parser, id, endpoint, 1, nil, 0, 0) // usb_redir_cancelled
            return
        }
    }

    func setConfiguration(id: UInt64, value: UInt8) {
        configuration = value
        mfpb_redir_reply_configuration(parser, id, value <= 1 ? 0 : 3, configuration)
    }

    func getConfiguration(id: UInt64) {
        mfpb_redir_reply_configuration(parser, id, 0, configuration)
    }

    func setAltSetting(id: UInt64, interface: UInt8, alt: UInt8) {
        mfpb_redir_reply_alt_setting(parser, id, alt == 0 ? 0 : 3, interface, 0)
    }

    func getAltSetting(id: UInt64, interface: UInt8) {
        mfpb_redir_reply_alt_setting(parser, id, 0, interface, 0)
    }

    // MARK: the socket (called by the parser)

    func readPeer(_ data: UnsafeMutablePointer<UInt8>, _ count: Int32) -> Int32 {
        do throws(SystemError) {
            let got = try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(start: data, count: Int(count)))
            if got == 0 {
                peerClosed = true
                return -1
            }
            return Int32(got)
        } catch {
            if error.errno == EAGAIN { return 0 }
            peerClosed = true
            return -1
        }
    }

    func writePeer(_ data: UnsafeMutablePointer<UInt8>, _ count: Int32) -> Int32 {
        do throws(SystemError) {
            return Int32(try Syscall.send(fd, UnsafeRawBufferPointer(start: data, count: Int(count))))
        } catch {
            if error.errno == EAGAIN { return 0 }
            peerClosed = true
            return -1
        }
    }
}
