import CMFPBridgeShims
import Glibc

// The one thin layer between BridgeLink and libc: every call returns its value or throws a
// typed `SyscallError` (the call's name and errno) at once; EINTR is retried where that is right.
// Programmer errors (EFAULT, EBADF on a descriptor we own) stop the program: they are bugs.

/// A failed system call: which call, and the errno it left.
struct SyscallError: Error, Sendable, CustomStringConvertible {
    var call: String
    var errno: Int32

    var description: String { "\(call): \(errnoName(errno))" }
}

/// `strerror` without the thread-safety problem.
func errnoName(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    // The XSI strerror_r: 0 on success, text in `buffer`.
    let result = buffer.withUnsafeMutableBufferPointer { strerror_r(code, $0.baseAddress!, $0.count) }
    guard result == 0 else { return "errno \(code)" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

enum Syscall {
    /// Runs `body`, a libc call that returns -1 and sets errno on failure. Retries on EINTR when
    /// `retryOnInterrupt` (the default); otherwise EINTR is thrown like any other errno.
    @inline(__always)
    static func valueOrErrno<T: FixedWidthInteger>(
        _ call: String, retryOnInterrupt: Bool = true, _ body: () -> T
    ) throws(SyscallError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR && retryOnInterrupt { continue }
            precondition(code != EFAULT, "\(call) was passed a bad address: a bug in BridgeLink")
            precondition(code != EBADF, "\(call) was passed a closed descriptor: a bug in BridgeLink")
            throw SyscallError(call: call, errno: code)
        }
    }

    // MARK: files and terminals

    static func open(_ path: String, _ flags: Int32) throws(SyscallError) -> Int32 {
        try valueOrErrno("open") { Glibc.open(path, flags) }
    }

    /// Never retried: on Linux the descriptor is gone even when close reports EINTR.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func read(_ fd: Int32, maxBytes: Int) throws(SyscallError) -> [UInt8] {
        var failure: SyscallError?
        let bytes = [UInt8](unsafeUninitializedCapacity: maxBytes) { buffer, count in
            do throws(SyscallError) {
                count = try valueOrErrno("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SyscallError) -> Int {
        try valueOrErrno("write") { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// `poll` is not retried here: callers recompute the time left and poll again.
    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(SyscallError) -> Int32 {
        let count = nfds_t(fds.count)
        return try fds.withUnsafeMutableBufferPointer { (buffer) throws(SyscallError) -> Int32 in
            try valueOrErrno("poll", retryOnInterrupt: false) {
                Glibc.poll(buffer.baseAddress, count, timeoutMilliseconds)
            }
        }
    }

    static func flock(_ fd: Int32, _ operation: Int32) throws(SyscallError) {
        _ = try valueOrErrno("flock") { lockFile(fd, operation) }
    }

    static func lstat(_ path: String) throws(SyscallError) -> stat {
        var info = stat()
        _ = try valueOrErrno("lstat") { Glibc.lstat(path, &info) }
        return info
    }

    static func fstat(_ fd: Int32) throws(SyscallError) -> stat {
        var info = stat()
        _ = try valueOrErrno("fstat") { Glibc.fstat(fd, &info) }
        return info
    }

    static func unlink(_ path: String) throws(SyscallError) {
        _ = try valueOrErrno("unlink") { Glibc.unlink(path) }
    }

    /// A close-on-exec, non-blocking pipe: (read end, write end).
    /// (Swift's Glibc module does not export the GNU `pipe2`, so the flags are set right after:
    /// a process forked by another thread in between could inherit the ends.)
    static func pipe() throws(SyscallError) -> (Int32, Int32) {
        var ends: (Int32, Int32) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &ends) { (raw) throws(SyscallError) -> Int32 in
            let fds = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            return try valueOrErrno("pipe") { Glibc.pipe(fds) }
        }
        do throws(SyscallError) {
            for end in [ends.0, ends.1] {
                try setCloseOnExec(end)
                try setFlags(end, try getFlags(end) | O_NONBLOCK)
            }
        } catch {
            close(ends.0)
            close(ends.1)
            throw error
        }
        return ends
    }

    static func setCloseOnExec(_ fd: Int32) throws(SyscallError) {
        _ = try valueOrErrno("fcntl(F_SETFD)") { Glibc.fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    static func getFlags(_ fd: Int32) throws(SyscallError) -> Int32 {
        try valueOrErrno("fcntl(F_GETFL)") { Glibc.fcntl(fd, F_GETFL) }
    }

    static func setFlags(_ fd: Int32, _ flags: Int32) throws(SyscallError) {
        _ = try valueOrErrno("fcntl(F_SETFL)") { Glibc.fcntl(fd, F_SETFL, flags) }
    }

    static func tcgetattr(_ fd: Int32) throws(SyscallError) -> termios {
        var settings = termios()
        _ = try valueOrErrno("tcgetattr") { Glibc.tcgetattr(fd, &settings) }
        return settings
    }

    static func tcsetattr(_ fd: Int32, _ settings: termios) throws(SyscallError) {
        var settings = settings
        _ = try valueOrErrno("tcsetattr") { Glibc.tcsetattr(fd, TCSANOW, &settings) }
    }

    static func tcflush(_ fd: Int32, _ queue: Int32) throws(SyscallError) {
        _ = try valueOrErrno("tcflush") { Glibc.tcflush(fd, queue) }
    }

    static func cfsetspeed(_ settings: inout termios, _ speed: speed_t) throws(SyscallError) {
        _ = try valueOrErrno("cfsetispeed") { Glibc.cfsetispeed(&settings, speed) }
        _ = try valueOrErrno("cfsetospeed") { Glibc.cfsetospeed(&settings, speed) }
    }

    static func setExclusive(_ fd: Int32) throws(SyscallError) {
        _ = try valueOrErrno("ioctl(TIOCEXCL)") { mfpb_tty_set_exclusive(fd) }
    }

    static func clearExclusive(_ fd: Int32) throws(SyscallError) {
        _ = try valueOrErrno("ioctl(TIOCNXCL)") { mfpb_tty_clear_exclusive(fd) }
    }

    static func isExclusive(_ fd: Int32) throws(SyscallError) -> Bool {
        var exclusive: Int32 = 0
        _ = try valueOrErrno("ioctl(TIOCGEXCL)") { mfpb_tty_get_exclusive(fd, &exclusive) }
        return exclusive != 0
    }

    /// A new pseudo-terminal whose slave starts with `settings`: (master, slave, slave path).
    /// glibc's `openpty` does posix_openpt, grantpt, unlockpt and ptsname_r (which Swift's Glibc
    /// module does not export) and opens the slave. Both ends come back blocking and inheritable:
    /// the caller sets O_NONBLOCK and FD_CLOEXEC.
    static func openpty(settings: termios) throws(SyscallError) -> (master: Int32, slave: Int32, path: String) {
        var master: Int32 = -1
        var slave: Int32 = -1
        var settings = settings
        var name = [CChar](repeating: 0, count: 4096)   // openpty copies the name without a size
        _ = try name.withUnsafeMutableBufferPointer { (buffer) throws(SyscallError) -> Int32 in
            try valueOrErrno("openpty") { Glibc.openpty(&master, &slave, buffer.baseAddress, &settings, nil) }
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (master, slave, path)
    }

    // MARK: sockets

    static func socket(_ type: Int32) throws(SyscallError) -> Int32 {
        try valueOrErrno("socket") { Glibc.socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    static func socketpair(_ type: Int32) throws(SyscallError) -> (Int32, Int32) {
        var ends: (Int32, Int32) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &ends) { (raw) throws(SyscallError) -> Int32 in
            let fds = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            return try valueOrErrno("socketpair") {
                Glibc.socketpair(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0, fds)
            }
        }
        return ends
    }

    /// Builds a `sockaddr_un` for `path`; nil when the path does not fit in `sun_path`.
    static func unixAddress(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    static func bind(_ fd: Int32, _ address: sockaddr_un) throws(SyscallError) {
        var address = address
        _ = try withUnsafePointer(to: &address) { (pointer) throws(SyscallError) -> Int32 in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(SyscallError) -> Int32 in
                try valueOrErrno("bind") { Glibc.bind(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }

    /// Not retried on EINTR (the connection may then complete in the background): callers retry
    /// and accept EISCONN.
    static func connect(_ fd: Int32, _ address: sockaddr_un) throws(SyscallError) {
        var address = address
        _ = try withUnsafePointer(to: &address) { (pointer) throws(SyscallError) -> Int32 in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(SyscallError) -> Int32 in
                try valueOrErrno("connect", retryOnInterrupt: false) {
                    Glibc.connect(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    static func listen(_ fd: Int32, backlog: Int32) throws(SyscallError) {
        _ = try valueOrErrno("listen") { Glibc.listen(fd, backlog) }
    }

    /// A non-blocking, close-on-exec connection, owned by the caller. (No `accept4` in Swift's
    /// Glibc module: the flags are set right after; if that fails the connection is closed.)
    static func accept(_ fd: Int32) throws(SyscallError) -> Int32 {
        let client = try valueOrErrno("accept") { Glibc.accept(fd, nil, nil) }
        do throws(SyscallError) {
            try setCloseOnExec(client)
            try setFlags(client, try getFlags(client) | O_NONBLOCK)
        } catch {
            close(client)
            throw error
        }
        return client
    }

    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SyscallError) -> Int {
        try valueOrErrno("send") { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    static func setSendTimeout(_ fd: Int32, _ timeout: Duration) throws(SyscallError) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        _ = try valueOrErrno("setsockopt(SO_SNDTIMEO)") {
            Glibc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    // MARK: signals

    /// A write to a tty or socket whose other end is gone raises SIGPIPE, which kills the process
    /// by default. Links report `.closed`/`.vanished` instead, so SIGPIPE is ignored once, the
    /// first time any link is created.
    static func ignoreBrokenPipeSignal() {
        _ = ignoreSIGPIPEOnce
    }
}

/// `Glibc.flock` names the struct; unqualified at file scope the call reaches the function.
private func lockFile(_ fd: Int32, _ operation: Int32) -> Int32 {
    flock(fd, operation)
}

private let ignoreSIGPIPEOnce: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()

extension Duration {
    /// Milliseconds for `poll`, rounded up so a short wait never becomes a zero-time spin,
    /// clamped to what `poll` accepts.
    var pollMilliseconds: Int32 {
        if self <= .zero { return 0 }
        let (seconds, attoseconds) = components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        if milliseconds.overflow { return Int32.max }
        let total = milliseconds.partialValue + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }
}
