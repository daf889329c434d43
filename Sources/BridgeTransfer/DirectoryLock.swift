import BridgeSystem
import Glibc // O_*/LOCK_* constants only; the calls go through BridgeSystem

/// An exclusive advisory lock (flock) on `DIR/lock`, held until `unlock()` or process exit; the
/// kernel drops it if the process dies, so a crash never leaves a stale lock behind.
public final class DirectoryLock: Sendable {
    private let fd: Int32
    public let path: String

    /// Returns `nil` when another process holds the lock.
    public static func tryLock(directory: String) throws(FileSystemError) -> DirectoryLock? {
        let path = directory + "/lock"
        let file = try FileSystemError.translating("open lock", path: path) { () throws(SystemError) -> FileDescriptor in
            try FileDescriptor(opening: path, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o600)
        }
        do throws(SystemError) {
            try Syscall.flock(file.raw, LOCK_EX | LOCK_NB)
        } catch  where error.errno == EWOULDBLOCK {
            return nil
        } catch {
            throw FileSystemError(error, operation: "lock", path: path)
        }
        return DirectoryLock(fd: file.take(), path: path)
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { Syscall.close(fd) }
}
