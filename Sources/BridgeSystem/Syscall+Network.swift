import Glibc

// TCP sockets on numeric IPv4 addresses (the usbredir transport of the emulated USB device and
// QEMU's chardevs use loopback): swift-system has no socket calls, so they call Glibc here.
extension Syscall {
    /// A `sockaddr_in` for a dotted IPv4 address ("localhost" is 127.0.0.1); nil if not one.
    public static func inetAddress(host: String, port: UInt16) -> sockaddr_in? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        let text = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, text, &address.sin_addr) == 1 else { return nil }
        return address
    }

    /// A blocking, close-on-exec TCP socket connected to `address` (no Nagle: the device side
    /// answers small control packets that must not wait).
    public static func connectTCP(_ address: sockaddr_in) throws(SystemError) -> Int32 {
        let fd = try valueOrErrno("socket") { Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do throws(SystemError) {
            var address = address
            _ = try withUnsafePointer(to: &address) { (pointer) throws(SystemError) -> Int32 in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(SystemError) -> Int32 in
                    try valueOrErrno("connect", descriptor: fd, retryOnInterrupt: false) {
                        Glibc.connect(fd, generic, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            try setNoDelay(fd)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// A listening, close-on-exec TCP socket bound to `address` (SO_REUSEADDR set).
    public static func listenTCP(_ address: sockaddr_in, backlog: Int32 = 4) throws(SystemError) -> Int32 {
        let fd = try valueOrErrno("socket") { Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do throws(SystemError) {
            var on: Int32 = 1
            _ = try valueOrErrno("setsockopt(SO_REUSEADDR)", descriptor: fd) {
                Glibc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            }
            var address = address
            _ = try withUnsafePointer(to: &address) { (pointer) throws(SystemError) -> Int32 in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(SystemError) -> Int32 in
                    try valueOrErrno("bind", descriptor: fd) { Glibc.bind(fd, generic, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            try listen(fd, backlog: backlog)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// TCP_NODELAY on a connected TCP socket.
    public static func setNoDelay(_ fd: Int32) throws(SystemError) {
        var on: Int32 = 1
        _ = try valueOrErrno("setsockopt(TCP_NODELAY)", descriptor: fd) {
            Glibc.setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Ends the process at once with `status`: no clean-up, no flushing, nothing saved on the way
    /// (the emulator's `power-cut`: what is on disk is what survives).
    public static func exitImmediately(_ status: Int32) -> Never {
        Glibc._exit(status)
    }
}
