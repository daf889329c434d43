import BridgeWire
import CLibUSB
import Glibc
import Synchronization

/// The C callback libusb calls on the event thread when a transfer ends.
private let transferDone: libusb_transfer_cb_fn = { raw in
    guard let raw, let user = raw.pointee.user_data else { return }
    let transfer = Unmanaged<USBTransfer>.fromOpaque(user).takeRetainedValue()
    transfer.engine.completed(transfer, status: raw.pointee.status, actual: Int(raw.pointee.actual_length))
}

/// The open device, its claimed interface and its transfers.
///
/// Ownership: owns `handle` (closed once, in `close()`), and keeps `context` alive until then.
/// `@unchecked Sendable`: the handle is used through libusb, which is thread-safe; all mutable
/// state is in `state`, a `Monitor`.
final class USBTransferEngine: @unchecked Sendable {
    struct State {
        var inbound: [UInt8] = []
        var inboundHead = 0
        var failure: LinkError?
        var closing = false
        var released = false
        /// Every submitted transfer, until its callback.
        var inFlight: [ObjectIdentifier: USBTransfer] = [:]
        /// Reads parked because the receive buffer is full.
        var parkedReads: [USBTransfer] = []
        var statistics = USBLinkStatistics()
        var buffered: Int { inbound.count - inboundHead }
    }

    let address: String
    let context: USBContext
    let handle: OpaquePointer
    let interface: UInt8
    let inEndpoint: UInt8
    let outEndpoint: UInt8
    let outMaxPacket: Int
    let options: USBLink.Options
    let detachedKernelDriver: Bool
    let state = Monitor(State())
    private let sendLock = Mutex(())
    private let recoveryLock = Mutex(())

    private init(
        address: String, context: USBContext, handle: OpaquePointer, interface: UInt8, inEndpoint: UInt8,
        outEndpoint: UInt8, outMaxPacket: Int, options: USBLink.Options, detachedKernelDriver: Bool
    ) {
        self.address = address
        self.context = context
        self.handle = handle
        self.interface = interface
        self.inEndpoint = inEndpoint
        self.outEndpoint = outEndpoint
        self.outMaxPacket = max(outMaxPacket, 1)
        self.options = options
        self.detachedKernelDriver = detachedKernelDriver
    }

    /// Opens `device`, detaches a kernel driver from the vendor interface only (never from
    /// another interface), claims it and starts the reads.
    static func open(
        device: OpaquePointer, info: USBDeviceInfo, context: USBContext, address: String,
        options: USBLink.Options
    ) throws(LinkError) -> USBTransferEngine {
        guard let interface = info.interfaces.first(where: { $0.number == info.linkInterface }),
            let (input, output) = interface.bulkPair
        else {
            throw LinkError(code: .notFound, message: "\(address): the vendor interface has no bulk endpoint pair")
        }
        let handle: OpaquePointer
        do throws(USBCallError) {
            handle = try USBCall.open(device)
        } catch {
            throw LinkError(usb: error, address: "\(address) (\(info.devnode))", during: "opening it")
        }
        var detached = false
        do throws(USBCallError) {
            if try USBCall.kernelDriverActive(handle, interface.number) {
                try USBCall.detachKernelDriver(handle, interface.number)
                detached = true
            }
            try USBCall.claim(handle, interface.number)
        } catch {
            if detached { try? USBCall.attachKernelDriver(handle, interface.number) }
            libusb_close(handle)
            throw LinkError(usb: error, address: address, during: "claiming interface \(interface.number)")
        }
        let engine = USBTransferEngine(
            address: address, context: context, handle: handle, interface: interface.number,
            inEndpoint: input.address, outEndpoint: output.address, outMaxPacket: Int(output.maxPacketSize),
            options: options, detachedKernelDriver: detached)
        do throws(LinkError) {
            try context.startEvents()
        } catch {
            engine.close()
            throw error
        }
        let packet = max(Int(input.maxPacketSize), 1)
        let readSize = (max(options.readSize, packet) + packet - 1) / packet * packet
        do throws(LinkError) {
            for _ in 0..<max(options.readDepth, 1) {
                try engine.submitRead(try USBTransfer(kind: .read, capacity: readSize, engine: engine))
            }
        } catch {
            engine.close()
            throw error
        }
        return engine
    }

    var statistics: USBLinkStatistics { state.withLock { $0.statistics } }

    // MARK: submitting

    private func submit(_ transfer: USBTransfer, endpoint: UInt8, length: Int, timeout: UInt32) throws(USBCallError) {
        let user = Unmanaged.passRetained(transfer).toOpaque()
        do throws(USBCallError) {
            try USBCall.submitBulk(
                transfer.raw, handle: handle, endpoint: endpoint, buffer: transfer.buffer,
                length: length, timeoutMilliseconds: timeout, callback: transferDone, userData: user)
        } catch {
            Unmanaged<USBTransfer>.fromOpaque(user).release()
            throw error
        }
    }

    /// Submits a read (no timeout: `receive` has its own), or parks it when closing or failed.
    private func submitRead(_ transfer: USBTransfer) throws(LinkError) {
        try state.withLock { (state) throws(LinkError) in
            guard !state.closing, state.failure == nil else { return }
            do throws(USBCallError) {
                try submit(transfer, endpoint: inEndpoint, length: transfer.capacity, timeout: 0)
                state.inFlight[ObjectIdentifier(transfer)] = transfer
            } catch {
                let failure = LinkError(usb: error, address: address, during: "starting a read")
                state.failure = state.failure ?? failure
                throw failure
            }
        }
    }

    // MARK: completions (libusb's event thread)

    func completed(_ transfer: USBTransfer, status: libusb_transfer_status, actual: Int) {
        var retry = false
        var stalled = false
        state.withLock { state in
            state.inFlight[ObjectIdentifier(transfer)] = nil
            switch transfer.kind {
            case .write:
                transfer.result = (status, actual)
            case .read:
                switch status {
                case LIBUSB_TRANSFER_COMPLETED:
                    if actual > 0 { state.inbound.append(contentsOf: UnsafeBufferPointer(start: transfer.buffer, count: actual)) }
                    if state.closing || state.failure != nil { return }
                    if state.buffered >= options.receiveBufferLimit {
                        state.parkedReads.append(transfer)
                    } else {
                        retry = true
                    }
                case LIBUSB_TRANSFER_TIMED_OUT:
                    retry = !state.closing && state.failure == nil
                case LIBUSB_TRANSFER_STALL:
                    stalled = !state.closing && state.failure == nil
                case LIBUSB_TRANSFER_CANCELLED:
                    break
                case LIBUSB_TRANSFER_NO_DEVICE:
                    state.failure =
                        state.failure
                        ?? LinkError(
                            usb: USBCallError(call: "bulk IN transfer", code: LIBUSB_ERROR_NO_DEVICE.rawValue), address: address,
                            during: "reading")
                case LIBUSB_TRANSFER_OVERFLOW:
                    state.failure =
                        state.failure
                        ?? LinkError(
                            usb: USBCallError(call: "bulk IN transfer", code: LIBUSB_ERROR_OVERFLOW.rawValue), address: address)
                default:
                    if !state.closing {
                        state.failure =
                            state.failure
                            ?? LinkError(
                                usb: USBCallError(call: "bulk IN transfer", code: LIBUSB_ERROR_IO.rawValue), address: address,
                                during: "reading")
                    }
                }
            }
        }
        if stalled {
            if let failure = recover(endpoint: inEndpoint) {
                state.withLock { $0.failure = $0.failure ?? failure }
                return
            }
            retry = true
        }
        if retry { try? submitRead(transfer) }
    }

    /// Clears a halted endpoint: clear-halt; if that fails, release and claim the interface again
    /// and clear-halt; if that fails, reset the device and claim again. nil when recovered.
    func recover(endpoint: UInt8) -> LinkError? {
        recoveryLock.withLock { _ -> LinkError? in
            do throws(USBCallError) {
                try USBCall.clearHalt(handle, endpoint)
                state.withLock { $0.statistics.stallsRecovered += 1 }
                return nil
            } catch  where error.isNoDevice {
                return LinkError(usb: error, address: address, during: "clearing a stall")
            } catch {}
            do throws(USBCallError) {
                try? USBCall.release(handle, interface)
                try USBCall.claim(handle, interface)
                try USBCall.clearHalt(handle, endpoint)
                state.withLock {
                    $0.statistics.stallsRecovered += 1
                    $0.statistics.interfaceReclaims += 1
                }
                return nil
            } catch  where error.isNoDevice {
                return LinkError(usb: error, address: address, during: "claiming the interface again after a stall")
            } catch {}
            do throws(USBCallError) {
                try USBCall.reset(handle)
                try USBCall.claim(handle, interface)
                state.withLock {
                    $0.statistics.stallsRecovered += 1
                    $0.statistics.resets += 1
                }
                return nil
            } catch {
                return LinkError(
                    usb: USBCallError(call: error.call, code: error.isNoDevice ? error.code : LIBUSB_ERROR_PIPE.rawValue),
                    address: address, during: "recovering endpoint 0x\(hex2(endpoint)) (clear-halt, re-claim and reset failed)")
            }
        }
    }

    // MARK: receive

    func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        guard maxBytes > 0 else { return [] }
        enum Outcome { case bytes([UInt8]), failed(LinkError) }
        let deadline = ContinuousClock.now + max(timeout, .zero)
        var parked: [USBTransfer] = []
        let outcome = state.wait(until: deadline) { state -> Outcome? in
            if state.buffered > 0 {
                let count = min(maxBytes, state.buffered)
                let bytes = Array(state.inbound[state.inboundHead..<(state.inboundHead + count)])
                state.inboundHead += count
                if state.inboundHead == state.inbound.count {
                    state.inbound.removeAll(keepingCapacity: true)
                    state.inboundHead = 0
                } else if state.inboundHead > 1 << 20 {
                    state.inbound.removeFirst(state.inboundHead)
                    state.inboundHead = 0
                }
                if state.buffered < options.receiveBufferLimit {
                    parked = state.parkedReads
                    state.parkedReads = []
                }
                return .bytes(bytes)
            }
            if state.closing { return .failed(LinkError.closedByUs(address)) }
            if let failure = state.failure { return .failed(failure) }
            return nil
        }
        for transfer in parked { try? submitRead(transfer) }
        switch outcome {
        case nil: return []
        case let .bytes(bytes)?: return bytes
        case let .failed(error)?: throw error
        }
    }

    // MARK: send

    func send(_ bytes: [UInt8]) throws(LinkError) {
        try sendLock.withLock { (_) throws(LinkError) -> Void in
            var offset = 0
            var zeroLengthDone = bytes.count % outMaxPacket != 0 || bytes.isEmpty
            while offset < bytes.count || !zeroLengthDone {
                // Queue up to writeDepth transfers from `offset`, then wait for them in order.
                var queued: [(transfer: USBTransfer, start: Int, length: Int)] = []
                var next = offset
                while queued.count < max(options.writeDepth, 1) && (next < bytes.count || !zeroLengthDone) {
                    let length = min(options.writeChunk, bytes.count - next)
                    if length == 0 && next < bytes.count { break }
                    let transfer = try USBTransfer(kind: .write, capacity: length, engine: self)
                    if length > 0 {
                        bytes.withUnsafeBufferPointer { source in
                            transfer.buffer.update(from: source.baseAddress! + next, count: length)
                        }
                    }
                    try submitWrite(transfer, length: length)
                    queued.append((transfer, next, length))
                    if length == 0 {
                        zeroLengthDone = true
                        state.withLock { $0.statistics.zeroLengthPackets += 1 }
                    }
                    next += length
                }
                // Wait for each, in order. The first short or failed one decides where to go on.
                var resumeAt: Int?
                var stalled = false
                var failure: LinkError?
                for item in queued {
                    let result = waitForWrite(item.transfer)
                    if resumeAt != nil || failure != nil { continue } // drain the rest
                    switch result.status {
                    case LIBUSB_TRANSFER_COMPLETED where result.actual == item.length:
                        offset = item.start + item.length
                    case LIBUSB_TRANSFER_COMPLETED, LIBUSB_TRANSFER_STALL:
                        stalled = result.status == LIBUSB_TRANSFER_STALL
                        resumeAt = item.start + result.actual
                        if item.length == 0 { zeroLengthDone = false }
                    case LIBUSB_TRANSFER_TIMED_OUT:
                        failure = LinkError(
                            code: .timeout,
                            message:
                                "\(address) accepted no data for \(options.sendTimeout): the device is not reading "
                                + "(busy, stuck or flow-controlled); \(item.start + result.actual) of \(bytes.count) bytes sent")
                        cancelInFlightWrites(queued.map(\.transfer))
                    case LIBUSB_TRANSFER_NO_DEVICE:
                        failure = LinkError(
                            usb: USBCallError(call: "bulk OUT transfer", code: LIBUSB_ERROR_NO_DEVICE.rawValue),
                            address: address, during: "writing (\(item.start + result.actual) of \(bytes.count) bytes sent)")
                    case LIBUSB_TRANSFER_CANCELLED:
                        failure =
                            state.withLock { $0.closing }
                            ? LinkError.closedByUs(address)
                            : LinkError(code: .io, message: "a write to \(address) was cancelled")
                    default:
                        failure = LinkError(
                            usb: USBCallError(call: "bulk OUT transfer", code: LIBUSB_ERROR_IO.rawValue),
                            address: address, during: "writing")
                    }
                }
                if let failure { throw failure }
                if let resumeAt {
                    offset = resumeAt
                    if offset < bytes.count { zeroLengthDone = bytes.count % outMaxPacket != 0 }
                    if stalled, let error = recover(endpoint: outEndpoint) {
                        state.withLock { $0.failure = $0.failure ?? error }
                        throw error
                    }
                }
            }
        }
    }

    private func submitWrite(_ transfer: USBTransfer, length: Int) throws(LinkError) {
        try state.withLock { (state) throws(LinkError) in
            if state.closing { throw LinkError.closedByUs(address) }
            if let failure = state.failure, failure.code == .vanished { throw failure }
            do throws(USBCallError) {
                try submit(
                    transfer, endpoint: outEndpoint, length: length,
                    timeout: UInt32(clamping: options.sendTimeout.pollMilliseconds))
                state.inFlight[ObjectIdentifier(transfer)] = transfer
            } catch {
                throw LinkError(usb: error, address: address, during: "writing")
            }
        }
    }

    /// Waits for a submitted write's callback (libusb enforces the write's timeout; the extra
    /// margin here only guards against a lost callback).
    private func waitForWrite(_ transfer: USBTransfer) -> (status: libusb_transfer_status, actual: Int) {
        let deadline = ContinuousClock.now + options.sendTimeout + .seconds(5)
        if let result = state.wait(until: deadline, { _ in transfer.result }) { return result }
        USBCall.cancel(transfer.raw)
        return state.wait(until: .now + .seconds(2), { _ in transfer.result }) ?? (LIBUSB_TRANSFER_TIMED_OUT, 0)
    }

    private func cancelInFlightWrites(_ transfers: [USBTransfer]) {
        let pending = state.withLock { state in transfers.filter { state.inFlight[ObjectIdentifier($0)] != nil } }
        for transfer in pending { USBCall.cancel(transfer.raw) }
    }

    // MARK: close

    /// Cancels every transfer, waits for their callbacks, releases the interface (giving it back
    /// to its kernel driver if one was detached) and closes the handle. Idempotent.
    func close() {
        let pending = state.withLock { state -> [USBTransfer]? in
            if state.closing { return nil }
            state.closing = true
            return Array(state.inFlight.values)
        }
        guard let pending else { return }
        for transfer in pending { USBCall.cancel(transfer.raw) }
        let drained = state.wait(until: .now + .seconds(3)) { state -> Bool? in state.inFlight.isEmpty ? true : nil } ?? false
        let release = state.withLock { state -> Bool in
            state.parkedReads = []
            if state.released { return false }
            state.released = true
            return true
        }
        guard release else { return }
        guard drained else {
            // A transfer never came back: closing the handle under it would free memory libusb
            // still uses. Keep the handle (and context) rather than crash; this is a libusb bug.
            return
        }
        try? USBCall.release(handle, interface)
        if detachedKernelDriver { try? USBCall.attachKernelDriver(handle, interface) }
        libusb_close(handle)
        context.stopEvents()
    }
}
