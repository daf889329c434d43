import CMFPBridgeShims
import Glibc

// Terminals, pipes, descriptor flags and poll: none of these is in swift-system (termios, ioctl,
// openpty, poll, fcntl flags), so they call Glibc and the C shims (the variadic ioctl) here.
extension Syscall {
    /// `poll` is not retried here: callers recompute the time left and poll again.
    public static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(SystemError) -> Int32 {
        let count = nfds_t(fds.count)
        return try fds.withUnsafeMutableBufferPointer { (buffer) throws(SystemError) -> Int32 in
            try valueOrErrno("poll", retryOnInterrupt: false) {
                Glibc.poll(buffer.baseAddress, count, timeoutMilliseconds)
            }
        }
    }

    /// A close-on-exec, non-blocking pipe: (read end, write end).
    /// (Swift's Glibc module does not export the GNU `pipe2`, so the flags are set right after:
    /// a process forked by another thread in between could inherit the ends.)
    public static func pipe() throws(SystemError) -> (Int32, Int32) {
        var ends: (Int32, Int32) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &ends) { (raw) throws(SystemError) -> Int32 in
            let fds = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            return try valueOrErrno("pipe") { Glibc.pipe(fds) }
        }
        do throws(SystemError) {
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

    /// Writes one byte to a non-blocking wake pipe; a full pipe already wakes its reader, so a
    /// failure changes nothing and is not reported.
    public static func wake(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = Glibc.write(fd, &byte, 1)
    }

    public static func setCloseOnExec(_ fd: Int32) throws(SystemError) {
        _ = try valueOrErrno("fcntl(F_SETFD)", descriptor: fd) { Glibc.fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    public static func getFlags(_ fd: Int32) throws(SystemError) -> Int32 {
        try valueOrErrno("fcntl(F_GETFL)", descriptor: fd) { Glibc.fcntl(fd, F_GETFL) }
    }

    public static func setFlags(_ fd: Int32, _ flags: Int32) throws(SystemError) {
        _ = try valueOrErrno("fcntl(F_SETFL)", descriptor: fd) { Glibc.fcntl(fd, F_SETFL, flags) }
    }

    public static func tcgetattr(_ fd: Int32) throws(SystemError) -> termios {
        var settings = termios()
        _ = try valueOrErrno("tcgetattr", descriptor: fd) { Glibc.tcgetattr(fd, &settings) }
        return settings
    }

    public static func tcsetattr(_ fd: Int32, _ settings: termios, when action: Int32 = TCSANOW) throws(SystemError) {
        var settings = settings
        _ = try valueOrErrno("tcsetattr", descriptor: fd) { Glibc.tcsetattr(fd, action, &settings) }
    }

    public static func tcflush(_ fd: Int32, _ queue: Int32) throws(SystemError) {
        _ = try valueOrErrno("tcflush", descriptor: fd) { Glibc.tcflush(fd, queue) }
    }

    public static func cfsetspeed(_ settings: inout termios, _ speed: speed_t) throws(SystemError) {
        _ = try valueOrErrno("cfsetispeed") { Glibc.cfsetispeed(&settings, speed) }
        _ = try valueOrErrno("cfsetospeed") { Glibc.cfsetospeed(&settings, speed) }
    }

    /// `cfmakeraw`: no system call, but it belongs with the termios settings it changes.
    public static func makeRaw(_ settings: inout termios) {
        Glibc.cfmakeraw(&settings)
    }

    public static func setExclusive(_ fd: Int32) throws(SystemError) {
        _ = try valueOrErrno("ioctl(TIOCEXCL)", descriptor: fd) { mfpb_tty_set_exclusive(fd) }
    }

    public static func clearExclusive(_ fd: Int32) throws(SystemError) {
        _ = try valueOrErrno("ioctl(TIOCNXCL)", descriptor: fd) { mfpb_tty_clear_exclusive(fd) }
    }

    public static func isExclusive(_ fd: Int32) throws(SystemError) -> Bool {
        var exclusive: Int32 = 0
        _ = try valueOrErrno("ioctl(TIOCGEXCL)", descriptor: fd) { mfpb_tty_get_exclusive(fd, &exclusive) }
        return exclusive != 0
    }

    /// A new pseudo-terminal whose slave starts with `settings`: (master, slave, slave path).
    /// glibc's `openpty` does posix_openpt, grantpt, unlockpt and ptsname_r (which Swift's Glibc
    /// module does not export) and opens the slave. Both ends come back blocking and inheritable:
    /// the caller sets O_NONBLOCK and FD_CLOEXEC.
    public static func openpty(settings: termios) throws(SystemError) -> (master: Int32, slave: Int32, path: String) {
        var master: Int32 = -1
        var slave: Int32 = -1
        var settings = settings
        var name = [CChar](repeating: 0, count: 4096) // openpty copies the name without a size
        _ = try name.withUnsafeMutableBufferPointer { (buffer) throws(SystemError) -> Int32 in
            try valueOrErrno("openpty") { Glibc.openpty(&master, &slave, buffer.baseAddress, &settings, nil) }
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (master, slave, path)
    }
}

extension Syscall {
    /// Waits until `fd` is readable (or hung up) or `deadline` passes: true when it is. An
    /// interrupted poll, or one that returns early, waits again for what is left.
    public static func waitReadable(_ fd: Int32, until deadline: ContinuousClock.Instant) throws(SystemError) -> Bool {
        while true {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            do throws(SystemError) {
                if try poll(&fds, timeoutMilliseconds: (deadline - .now).pollMilliseconds) > 0 { return true }
            } catch  where error.errno == EINTR {
                continue
            }
            if ContinuousClock.now >= deadline { return false }
        }
    }
}

extension Duration {
    /// Milliseconds for `poll`, rounded up so a short wait never becomes a zero-time spin,
    /// clamped to what `poll` accepts.
    public var pollMilliseconds: Int32 {
        if self <= .zero { return 0 }
        let (seconds, attoseconds) = components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        if milliseconds.overflow { return Int32.max }
        let total = milliseconds.partialValue + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }
}
