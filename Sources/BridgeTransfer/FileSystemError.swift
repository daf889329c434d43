import Foundation
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
        let code = Self.symbol(errno)
        // In mfpbridge's own data folder the fix is the folder, not the file.
        let data = DataDirectory.path()
        if path == data || path.hasPrefix(data + "/") {
            switch errno {
            case EROFS:
                return "the data folder \(data) is read-only (EROFS): set MFPBRIDGE_DATA_DIR to a writable folder"
            case EACCES, EPERM:
                return "the data folder \(data) is not writable (\(code): cannot \(operation) \(path)): set MFPBRIDGE_DATA_DIR to a writable folder, or fix the folder's owner and permissions"
            case ENOSPC, EDQUOT:
                return "the disk holding the data folder \(data) is full (\(code): cannot \(operation) \(path)): free some space and run the command again; nothing was replaced"
            default:
                break
            }
        }
        let reason = String(cString: strerror(errno))
        let hint: String = switch errno {
        case ENOSPC, EDQUOT: " The disk is full: free some space and run the command again; nothing was replaced."
        case EACCES, EPERM: " Check the folder's owner and permissions."
        case EROFS: " The file system is read-only: use a writable folder."
        default: ""
        }
        return "cannot \(operation) \(path): \(reason) (\(code)).\(hint)"
    }

    /// The errno's symbolic name ("EROFS"), or "errno N" for one without a name here.
    public static func symbol(_ errno: Int32) -> String {
        let names: [Int32: String] = [
            EPERM: "EPERM", ENOENT: "ENOENT", EIO: "EIO", ENXIO: "ENXIO", EBADF: "EBADF", EAGAIN: "EAGAIN",
            ENOMEM: "ENOMEM", EACCES: "EACCES", EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV",
            ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE",
            EMFILE: "EMFILE", ETXTBSY: "ETXTBSY", EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS",
            ENAMETOOLONG: "ENAMETOOLONG", ELOOP: "ELOOP", EDQUOT: "EDQUOT", ESTALE: "ESTALE",
        ]
        return names[errno] ?? "errno \(errno)"
    }

    /// The errno behind a Foundation error (NSPOSIXErrorDomain, or a Cocoa file error that
    /// carries one as its underlying error), when there is one.
    public static func errno(of error: any Error) -> Int32? {
        if let error = error as? FileSystemError { return error.errno }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error { return Self.errno(of: underlying) }
        return nil
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
