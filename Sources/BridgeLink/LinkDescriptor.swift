import BridgeSystem
import Glibc // pollfd, POLL* and errno constants; the calls go through BridgeSystem
import Synchronization

/// What kind of descriptor a link reads and writes: it decides how hang-ups and end-of-file read.
enum DescriptorKind: Sendable {
    /// A tty (serial port, pty slave or master): hang-up or end of file means the device vanished.
    case terminal
    /// A Unix stream socket: end of file or a reset means the peer closed the connection.
    case socket
}

/// The descriptor behind one link, with the link's I/O loops.
///
/// Ownership: this object owns `fd`, the wake pipe and any `companions` and closes each of them
/// exactly once. `close()` marks the link closed and writes to the wake pipe, which every `poll`
/// here watches, so a blocked `send` or `receive` returns at once; the descriptors themselves are
/// closed only after the last operation in flight has left, so no thread ever reads a descriptor
/// number that has been closed and possibly reused.
final class LinkDescriptor: Sendable {
    private struct State {
        var closing = false
        var released = false
        var operationsInFlight = 0
    }

    let fd: Int32
    let kind: DescriptorKind
    let address: String
    /// If no byte can be written for this long, `send` throws `.timeout`.
    let sendStallTimeout: Duration
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let companions: [Int32]
    private let beforeClose: @Sendable (Int32) -> Void
    private let state = Mutex(State())
    private let sendLock = Mutex(())
    private let receiveLock = Mutex(())

    /// Takes ownership of `fd` (non-blocking) and of `companions`, descriptors that must stay open
    /// as long as `fd` (a pty's own slave) and are closed after it. `beforeClose` runs once, just
    /// before `fd` is closed (to release a tty's exclusive mode).
    init(
        _ fd: consuming FileDescriptor, kind: DescriptorKind, address: String,
        companions: [Int32] = [], sendStallTimeout: Duration = .seconds(10),
        beforeClose: @escaping @Sendable (Int32) -> Void = { _ in }
    ) throws(LinkError) {
        Syscall.ignoreBrokenPipeSignal()
        let wake: (Int32, Int32)
        do throws(SystemError) {
            wake = try Syscall.pipe()
        } catch {
            for companion in companions { Syscall.close(companion) }
            throw LinkError(code: .io, message: "cannot create the wake pipe for \(address): too many open files?", errno: error.errno)
        }
        self.fd = fd.take()
        self.kind = kind
        self.address = address
        self.companions = companions
        self.sendStallTimeout = sendStallTimeout
        self.beforeClose = beforeClose
        (wakeRead, wakeWrite) = wake
    }

    deinit {
        // A link dropped without close(): no operation can be in flight any more.
        let mustRelease = state.withLock { state in
            let must = !state.released
            state.released = true
            return must
        }
        if mustRelease { releaseDescriptors() }
    }

    // MARK: lifetime

    func close() {
        let releaseNow = state.withLock { state -> Bool in
            if state.closing { return false }
            state.closing = true
            Syscall.wake(wakeWrite) // the pipe is empty and non-blocking: cannot fail usefully
            if state.operationsInFlight == 0 {
                state.released = true
                return true
            }
            return false
        }
        if releaseNow { releaseDescriptors() }
    }

    var isClosed: Bool { state.withLock { $0.closing } }

    private func enter() throws(LinkError) {
        let ok = state.withLock { state -> Bool in
            if state.closing { return false }
            state.operationsInFlight += 1
            return true
        }
        if !ok { throw LinkError.closedByUs(address) }
    }

    private func leave() {
        let releaseNow = state.withLock { state -> Bool in
            state.operationsInFlight -= 1
            if state.closing && state.operationsInFlight == 0 && !state.released {
                state.released = true
                return true
            }
            return false
        }
        if releaseNow { releaseDescriptors() }
    }

    private func releaseDescriptors() {
        beforeClose(fd)
        Syscall.close(fd)
        for companion in companions { Syscall.close(companion) }
        Syscall.close(wakeRead)
        Syscall.close(wakeWrite)
    }

    /// Runs `body` with the descriptor held open, or throws `.closed` if the link is closed.
    func withDescriptor<T>(_ body: (Int32) throws(LinkError) -> T) throws(LinkError) -> T {
        try enter()
        defer { leave() }
        return try body(fd)
    }

    // MARK: waiting

    private enum Readiness { case ready(Int16), timedOut, closed }

    /// Polls `fd` for `events` and the wake pipe until `deadline`. EINTR re-polls with the time left.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws(LinkError) -> Readiness {
        while true {
            var fds = [
                pollfd(fd: fd, events: events, revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let timeout = (deadline - .now).pollMilliseconds
            let ready: Int32
            do throws(SystemError) {
                ready = try Syscall.poll(&fds, timeoutMilliseconds: timeout)
            } catch  where error.errno == EINTR {
                continue
            } catch {
                throw LinkError(code: .io, message: "waiting for \(address) failed", errno: error.errno)
            }
            if fds[1].revents != 0 { return .closed }
            if ready == 0 {
                if ContinuousClock.now >= deadline { return .timedOut }
                continue // woke a little early (poll rounds to its clock): wait out the rest
            }
            return .ready(fds[0].revents)
        }
    }

    /// For a listening socket: waits until a connection is pending (true), the deadline passes
    /// (false) or the descriptor is closed (throws `.closed`). Call inside `withDescriptor`.
    func waitReadable(until deadline: ContinuousClock.Instant) throws(LinkError) -> Bool {
        switch try wait(for: Int16(POLLIN), until: deadline) {
        case .timedOut: return false
        case .closed: throw LinkError.closedByUs(address)
        case .ready: return true
        }
    }

    private static let hangUp = Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)

    // MARK: receive

    func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        guard maxBytes > 0 else { return [] }
        try enter()
        defer { leave() }
        return try receiveLock.withLock { (_) throws(LinkError) -> [UInt8] in
            let deadline = ContinuousClock.now + max(timeout, .zero)
            while true {
                let revents: Int16
                switch try wait(for: Int16(POLLIN), until: deadline) {
                case .timedOut: return []
                case .closed: throw LinkError.closedByUs(address)
                case .ready(let events): revents = events
                }
                // A hung-up tty has nothing left to read (the kernel flushed it): report at once.
                // A socket may still hold data before its end of file: read it first.
                if kind == .terminal && revents & Self.hangUp != 0 {
                    throw LinkError.vanished(address)
                }
                if revents & Int16(POLLNVAL) != 0 { throw LinkError.closedByUs(address) }
                let bytes: [UInt8]
                do throws(SystemError) {
                    bytes = try Syscall.read(fd, maxBytes: maxBytes)
                } catch {
                    switch error.errno {
                    case EAGAIN, EWOULDBLOCK: continue
                    case EIO, ENXIO, ENODEV: throw LinkError.vanished(address, errno: error.errno)
                    case ECONNRESET, EPIPE: throw LinkError.peerClosed(address, errno: error.errno)
                    default: throw LinkError(code: .io, message: "reading from \(address) failed", errno: error.errno)
                    }
                }
                if bytes.isEmpty {
                    // End of file: with VMIN=0 a tty returns 0 only when hung up (poll said readable).
                    switch kind {
                    case .terminal: throw LinkError.vanished(address)
                    case .socket: throw LinkError.peerClosed(address)
                    }
                }
                return bytes
            }
        }
    }

    // MARK: send

    func send(_ bytes: [UInt8]) throws(LinkError) {
        try enter()
        defer { leave() }
        try sendLock.withLock { (_) throws(LinkError) -> Void in
            // withUnsafeBytes only rethrows untyped errors: carry the typed one out in a Result.
            let outcome = bytes.withUnsafeBytes { buffer in
                Result { () throws(LinkError) -> Void in try sendAll(buffer) }
            }
            try outcome.get()
        }
    }

    private func sendAll(_ buffer: UnsafeRawBufferPointer) throws(LinkError) {
        var offset = 0
        var stallDeadline = ContinuousClock.now + sendStallTimeout
        while offset < buffer.count {
            let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
            do throws(SystemError) {
                let written =
                    switch kind {
                    case .terminal: try Syscall.write(fd, rest)
                    case .socket: try Syscall.send(fd, rest)
                    }
                if written > 0 {
                    offset += written
                    stallDeadline = ContinuousClock.now + sendStallTimeout
                }
                continue
            } catch {
                switch error.errno {
                case EAGAIN, EWOULDBLOCK: break // full: wait for room below
                case EIO, ENXIO, ENODEV: throw LinkError.vanished(address, errno: error.errno)
                case EPIPE, ECONNRESET:
                    if kind == .terminal { throw LinkError.vanished(address, errno: error.errno) }
                    throw LinkError.peerClosed(address, errno: error.errno)
                default: throw LinkError(code: .io, message: "writing to \(address) failed", errno: error.errno)
                }
            }
            switch try wait(for: Int16(POLLOUT), until: stallDeadline) {
            case .closed:
                throw LinkError.closedByUs(address)
            case .timedOut:
                throw LinkError(
                    code: .timeout,
                    message: "no byte could be written to \(address) for \(sendStallTimeout): "
                        + "the other side is not reading (stalled or flow-controlled); \(offset) of \(buffer.count) bytes sent")
            case .ready(let revents):
                if kind == .terminal && revents & Self.hangUp != 0 { throw LinkError.vanished(address) }
            // A socket's hang-up shows as EPIPE/ECONNRESET on the next send.
            }
        }
    }
}
