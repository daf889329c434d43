import Glibc

// Unix sockets: swift-system has no socket calls, so they call Glibc here.
extension Syscall {
    public static func socket(_ type: Int32) throws(SystemError) -> Int32 {
        try valueOrErrno("socket") { Glibc.socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    public static func socketpair(_ type: Int32) throws(SystemError) -> (Int32, Int32) {
        var ends: (Int32, Int32) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &ends) { (raw) throws(SystemError) -> Int32 in
            let fds = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            return try valueOrErrno("socketpair") {
                Glibc.socketpair(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0, fds)
            }
        }
        return ends
    }

    /// Builds a `sockaddr_un` for `path`; nil when the path does not fit in `sun_path`.
    public static func unixAddress(_ path: String) -> sockaddr_un? {
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

    public static func bind(_ fd: Int32, _ address: sockaddr_un) throws(SystemError) {
        var address = address
        _ = try withUnsafePointer(to: &address) { (pointer) throws(SystemError) -> Int32 in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(SystemError) -> Int32 in
                try valueOrErrno("bind", descriptor: fd) { Glibc.bind(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }

    /// Not retried on EINTR (the connection may then complete in the background): callers retry
    /// and accept EISCONN.
    public static func connect(_ fd: Int32, _ address: sockaddr_un) throws(SystemError) {
        var address = address
        _ = try withUnsafePointer(to: &address) { (pointer) throws(SystemError) -> Int32 in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(SystemError) -> Int32 in
                try valueOrErrno("connect", descriptor: fd, retryOnInterrupt: false) {
                    Glibc.connect(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    public static func listen(_ fd: Int32, backlog: Int32) throws(SystemError) {
        _ = try valueOrErrno("listen", descriptor: fd) { Glibc.listen(fd, backlog) }
    }

    /// A non-blocking, close-on-exec connection, owned by the caller. (No `accept4` in Swift's
    /// Glibc module: the flags are set right after; if that fails the connection is closed.)
    public static func accept(_ fd: Int32) throws(SystemError) -> Int32 {
        let client = try valueOrErrno("accept", descriptor: fd) { Glibc.accept(fd, nil, nil) }
        do throws(SystemError) {
            try setCloseOnExec(client)
            try setFlags(client, try getFlags(client) | O_NONBLOCK)
        } catch {
            close(client)
            throw error
        }
        return client
    }

    public static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        try valueOrErrno("send", descriptor: fd) { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    public static func setSendTimeout(_ fd: Int32, _ timeout: Duration) throws(SystemError) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        _ = try valueOrErrno("setsockopt(SO_SNDTIMEO)", descriptor: fd) {
            Glibc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }
}
