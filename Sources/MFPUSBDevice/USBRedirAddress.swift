import BridgeSystem
import Glibc
import MFPEmulator

/// Where the usbredir peer (QEMU's `-device usb-redir`, SPICE, `usbredirect`) is: `unix:PATH` or
/// `tcp:HOST:PORT` (a numeric IPv4 address or localhost).
public enum USBRedirAddress: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: UInt16)

    public init(parsing text: String) throws(EmulatorError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard Syscall.unixAddress(path) != nil else {
                throw EmulatorError("'\(path)' is not a usable Unix socket path (empty, too long or with a NUL byte)")
            }
            self = .unix(path: path)
        } else if text.hasPrefix("tcp:"), let colon = text.lastIndex(of: ":"), colon > text.index(text.startIndex, offsetBy: 3) {
            let host = String(text[text.index(text.startIndex, offsetBy: 4)..<colon])
            guard let port = UInt16(text[text.index(after: colon)...]), port > 0 else {
                throw EmulatorError("'\(text)' has no port number from 1 to 65535 after the host")
            }
            guard Syscall.inetAddress(host: host, port: port) != nil else {
                throw EmulatorError("'\(host)' is not a numeric IPv4 address or localhost")
            }
            self = .tcp(host: host, port: port)
        } else {
            throw EmulatorError("'\(text)' is not a usbredir address: use unix:PATH or tcp:HOST:PORT")
        }
    }

    public var description: String {
        switch self {
        case let .unix(path): "unix:\(path)"
        case let .tcp(host, port): "tcp:\(host):\(port)"
        }
    }

    /// A connected, non-blocking socket to the peer.
    func connect() throws(SystemError) -> Int32 {
        let fd: Int32
        switch self {
        case let .unix(path):
            fd = try Syscall.socket(Int32(SOCK_STREAM.rawValue))
            do throws(SystemError) {
                try Syscall.connect(fd, Syscall.unixAddress(path)!)
            } catch {
                Syscall.close(fd)
                throw error
            }
        case let .tcp(host, port):
            fd = try Syscall.connectTCP(Syscall.inetAddress(host: host, port: port)!)
        }
        do throws(SystemError) {
            try Syscall.setFlags(fd, try Syscall.getFlags(fd) | O_NONBLOCK)
        } catch {
            Syscall.close(fd)
            throw error
        }
        return fd
    }

    /// A listening socket (a Unix socket file left over from an earlier run is replaced).
    func listen() throws(SystemError) -> Int32 {
        switch self {
        case let .unix(path):
            _ = try Syscall.removeIfPresent(path)
            let fd = try Syscall.socket(Int32(SOCK_STREAM.rawValue))
            do throws(SystemError) {
                try Syscall.bind(fd, Syscall.unixAddress(path)!)
                try Syscall.listen(fd, backlog: 4)
            } catch {
                Syscall.close(fd)
                throw error
            }
            return fd
        case let .tcp(host, port):
            return try Syscall.listenTCP(Syscall.inetAddress(host: host, port: port)!)
        }
    }
}
