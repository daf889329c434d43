import Glibc

/// An exclusive advisory lock (flock) on `DIR/lock`, held until `unlock()` or process exit; the
/// kernel drops it if the process dies, so a crash never leaves a stale lock behind.
public final class DirectoryLock: Sendable {
    private let fd: Int32
    public let path: String

    /// Returns `nil` when another process holds the lock.
    public static func tryLock(directory: String) throws(FileSystemError) -> DirectoryLock? {
        let path = directory + "/lock"
        let fd = retryingOnInterrupt { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw FileSystemError(operation: "open lock", path: path, errno: errno) }
        if retryingOnInterrupt({ flock(fd, LOCK_EX | LOCK_NB) }) != 0 {
            let error = errno
            close(fd)
            if error == EWOULDBLOCK { return nil }
            throw FileSystemError(operation: "lock", path: path, errno: error)
        }
        return DirectoryLock(fd: fd, path: path)
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }
}
