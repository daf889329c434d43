import BridgeSystem
import BridgeWire
import Glibc // socket constants only; the calls go through BridgeSystem

/// A connected Unix stream socket carrying raw frames.
public final class SocketLink: Link {
    public let address: String
    public var framing: Framing { .raw }
    let descriptor: LinkDescriptor

    init(descriptor: LinkDescriptor) {
        self.address = descriptor.address
        self.descriptor = descriptor
    }

    /// Connects to the Unix socket at `path`, waiting up to `timeout` when the listener's queue
    /// is full. Throws `.notFound` when no socket is there or nothing listens on it.
    public static func connect(path: String, timeout: Duration = .seconds(5)) throws(LinkError) -> SocketLink {
        let address = "unix:\(path)"
        guard let socketAddress = Syscall.unixAddress(path) else {
            throw LinkError(code: .invalidAddress, message: "\(address): a Unix socket path must be 1 to 107 bytes long")
        }
        let fd: FileDescriptor
        do throws(SystemError) {
            fd = FileDescriptor(takingOwnershipOf: try Syscall.socket(Int32(SOCK_STREAM.rawValue)))
        } catch {
            throw LinkError(code: .io, message: "cannot create a socket for \(address)", errno: error.errno)
        }
        do throws(SystemError) {
            // Blocking for the connect, which then waits at most SO_SNDTIMEO for room in the
            // listener's queue; non-blocking from then on.
            try Syscall.setSendTimeout(fd.raw, max(timeout, .milliseconds(1)))
        } catch {
            throw LinkError(code: .io, message: "cannot create a socket for \(address)", errno: error.errno)
        }
        var connected = false
        while !connected {
            do throws(SystemError) {
                try Syscall.connect(fd.raw, socketAddress)
                connected = true
            } catch {
                switch error.errno {
                case EINTR: continue
                case EISCONN: connected = true
                case ENOENT, ENOTDIR:
                    throw LinkError(code: .notFound, message: "no socket at \(path): is the emulator running?", errno: error.errno)
                case ECONNREFUSED:
                    throw LinkError(
                        code: .notFound, message: "nothing is listening on \(path): is the emulator running?", errno: error.errno)
                case EAGAIN, EINPROGRESS, ETIMEDOUT:
                    throw LinkError(
                        code: .timeout,
                        message: "\(path) did not accept the connection within \(timeout): the listener is overloaded or stuck",
                        errno: error.errno)
                case EACCES, EPERM:
                    throw LinkError(
                        code: .permissionDenied, message: "permission denied connecting to \(path): check the socket file's owner and mode",
                        errno: error.errno)
                case ENOTSOCK, EPROTOTYPE:
                    throw LinkError(code: .invalidAddress, message: "\(path) is not a stream socket", errno: error.errno)
                default:
                    throw LinkError(code: .io, message: "connecting to \(path) failed", errno: error.errno)
                }
            }
        }
        do throws(SystemError) {
            try Syscall.setSendTimeout(fd.raw, .zero)
            try Syscall.setFlags(fd.raw, try Syscall.getFlags(fd.raw) | O_NONBLOCK)
        } catch {
            throw LinkError(code: .io, message: "cannot configure the socket for \(address)", errno: error.errno)
        }
        return SocketLink(descriptor: try LinkDescriptor(fd, kind: .socket, address: address))
    }

    /// A link over a connected stream socket the caller made (one end of a socket pair).
    public static func adopt(_ fd: consuming FileDescriptor, address: String) throws(LinkError) -> SocketLink {
        SocketLink(descriptor: try LinkDescriptor(fd, kind: .socket, address: address))
    }

    /// Two connected links, for a device and a host in one process.
    public static func pair() throws(LinkError) -> (SocketLink, SocketLink) {
        try pair(sendStallTimeout: .seconds(10))
    }

    /// `pair()` with a shorter send timeout, for tests.
    static func pair(sendStallTimeout: Duration) throws(LinkError) -> (SocketLink, SocketLink) {
        let ends: (Int32, Int32)
        do throws(SystemError) {
            ends = try Syscall.socketpair(Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
        } catch {
            throw LinkError(code: .io, message: "cannot create a socket pair: too many open files?", errno: error.errno)
        }
        let first = FileDescriptor(takingOwnershipOf: ends.0)
        let second = FileDescriptor(takingOwnershipOf: ends.1)
        let a = try LinkDescriptor(first, kind: .socket, address: "unix:pair#\(ends.0)", sendStallTimeout: sendStallTimeout)
        let b = try LinkDescriptor(second, kind: .socket, address: "unix:pair#\(ends.1)", sendStallTimeout: sendStallTimeout)
        return (SocketLink(descriptor: a), SocketLink(descriptor: b))
    }

    public func send(_ bytes: [UInt8]) throws(LinkError) {
        try descriptor.send(bytes)
    }

    public func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        try descriptor.receive(maxBytes: maxBytes, timeout: timeout)
    }

    public func close() {
        descriptor.close()
    }
}
