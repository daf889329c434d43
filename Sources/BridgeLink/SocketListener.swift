import BridgeSystem
import Glibc // socket and errno constants only; the calls go through BridgeSystem

/// A listening Unix stream socket; ``accept(timeout:)`` hands out a ``SocketLink`` per client.
///
/// `init` replaces a stale socket file (one left by a program that died) but never steals a live
/// one: it first connects to the existing file, and only if nothing answers does it unlink it.
/// (A live listener sees that probe as a client that connects and hangs up at once.)
/// `close()` removes the socket file if it is still the one this listener created.
public final class SocketListener: Sendable {
    public let path: String
    private let descriptor: LinkDescriptor

    public init(path: String) throws(LinkError) {
        let address = "unix:\(path)"
        guard let socketAddress = Syscall.unixAddress(path) else {
            throw LinkError(code: .invalidAddress, message: "\(address): a Unix socket path must be 1 to 107 bytes long")
        }
        let fd: FileDescriptor
        do throws(SystemError) {
            fd = FileDescriptor(takingOwnershipOf: try Syscall.socket(Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)))
        } catch {
            throw LinkError(code: .io, message: "cannot create a socket for \(address)", errno: error.errno)
        }
        do throws(SystemError) {
            try Syscall.bind(fd.raw, socketAddress)
        } catch  where error.errno == EADDRINUSE {
            try Self.removeStaleSocket(at: path, socketAddress)
            do throws(SystemError) {
                try Syscall.bind(fd.raw, socketAddress)
            } catch {
                throw Self.bindError(error, path: path)
            }
        } catch {
            throw Self.bindError(error, path: path)
        }
        let identity: (dev_t, ino_t)?
        do throws(SystemError) {
            try Syscall.listen(fd.raw, backlog: 64)
            let info = try Syscall.lstat(path)
            identity = (info.st_dev, info.st_ino)
        } catch {
            try? Syscall.unlink(path)
            throw LinkError(code: .io, message: "cannot listen on \(path)", errno: error.errno)
        }
        self.path = path
        self.descriptor = try LinkDescriptor(fd, kind: .socket, address: address) { _ in
            // Remove the socket file only if it is still ours (not replaced by another listener).
            guard let identity, let info = try? Syscall.lstat(path),
                info.st_dev == identity.0, info.st_ino == identity.1
            else { return }
            try? Syscall.unlink(path)
        }
    }

    /// Waits up to `timeout` for a client; nil when none came. Throws `.closed` once the listener
    /// is closed (also when `close()` is called while waiting).
    public func accept(timeout: Duration) throws(LinkError) -> SocketLink? {
        try descriptor.withDescriptor { (fd) throws(LinkError) -> SocketLink? in
            let deadline = ContinuousClock.now + max(timeout, .zero)
            while true {
                guard try descriptor.waitReadable(until: deadline) else { return nil }
                let client: Int32
                do throws(SystemError) {
                    client = try Syscall.accept(fd)
                } catch {
                    switch error.errno {
                    case EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO: continue // the client gave up
                    case EMFILE, ENFILE:
                        throw LinkError(code: .io, message: "cannot accept on \(path): too many open files", errno: error.errno)
                    default:
                        throw LinkError(code: .io, message: "accepting on \(path) failed", errno: error.errno)
                    }
                }
                let link = try LinkDescriptor(FileDescriptor(takingOwnershipOf: client), kind: .socket, address: "unix:\(path)")
                return SocketLink(descriptor: link)
            }
        }
    }

    /// Stops listening and removes the socket file. Idempotent; wakes a blocked `accept`.
    public func close() {
        descriptor.close()
    }

    private static func bindError(_ error: SystemError, path: String) -> LinkError {
        switch error.errno {
        case EADDRINUSE:
            LinkError(code: .busy, message: "\(path) is in use by another program that is listening on it", errno: error.errno)
        case EACCES, EPERM, EROFS:
            LinkError(
                code: .permissionDenied, message: "cannot create the socket \(path): check the folder's owner and mode", errno: error.errno)
        case ENOENT, ENOTDIR:
            LinkError(code: .notFound, message: "cannot create the socket \(path): its folder does not exist", errno: error.errno)
        default:
            LinkError(code: .io, message: "cannot bind \(path)", errno: error.errno)
        }
    }

    /// Unlinks the socket file at `path` if nothing answers on it; throws `.busy` if something
    /// does, and refuses to touch anything that is not a socket.
    private static func removeStaleSocket(at path: String, _ socketAddress: sockaddr_un) throws(LinkError) {
        let info: stat
        let probe: FileDescriptor
        do throws(SystemError) {
            info = try Syscall.lstat(path)
            probe = FileDescriptor(takingOwnershipOf: try Syscall.socket(Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)))
        } catch {
            throw LinkError(code: .io, message: "cannot check the existing socket \(path)", errno: error.errno)
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw LinkError(code: .busy, message: "\(path) exists and is not a socket: remove it or choose another path")
        }
        do throws(SystemError) {
            try Syscall.connect(probe.raw, socketAddress)
        } catch  where error.errno == ECONNREFUSED {
            do throws(SystemError) {
                try Syscall.unlink(path) // stale: its listener is gone
            } catch  where error.errno == ENOENT {
                // Someone else removed it meanwhile: fine.
            } catch {
                throw bindError(error, path: path)
            }
            return
        } catch {
            // EAGAIN: live with a full queue. Anything else: do not guess, leave the file alone.
        }
        throw LinkError(code: .busy, message: "\(path) is in use: another program is listening on it (another emulator?)")
    }
}
