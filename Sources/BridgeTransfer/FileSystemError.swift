import Glibc

/// A file operation that failed, with the path, the errno and what to do about it.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        let hint: String = switch errno {
        case ENOSPC, EDQUOT: " The disk is full: free some space and run the command again; nothing was replaced."
        case EACCES, EPERM: " Check the folder's owner and permissions."
        case EROFS: " The file system is read-only."
        default: ""
        }
        return "cannot \(operation) \(path): \(reason).\(hint)"
    }
}

/// Runs a libc call that returns -1 and sets errno, retrying on EINTR.
@inline(__always)
func retryingOnInterrupt(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
