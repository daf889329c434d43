import BridgeSystem
import Foundation
import Glibc // errno constants only; the calls go through BridgeSystem

/// A file operation that failed, with the path, the errno and what to do about it: what
/// BridgeSystem's ``SystemError`` means to someone who runs mfpbridge (see `translating`).
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// `error` said as `operation` on `path` (the call's own path when none is given).
    public init(_ error: SystemError, operation: String, path: String? = nil) {
        self.init(operation: operation, path: path ?? error.path ?? "", errno: error.errno)
    }

    /// Runs `body`, BridgeSystem calls on `path`; a failure becomes "cannot `operation` `path`".
    @inline(__always)
    public static func translating<T: ~Copyable>(
        _ operation: String, path: String, _ body: () throws(SystemError) -> T
    ) throws(FileSystemError) -> T {
        do {
            return try body()
        } catch {
            throw FileSystemError(error, operation: operation, path: path)
        }
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
                return
                    "the data folder \(data) is not writable (\(code): cannot \(operation) \(path)): set MFPBRIDGE_DATA_DIR to a writable folder, or fix the folder's owner and permissions"
            case ENOSPC, EDQUOT:
                return
                    "the disk holding the data folder \(data) is full (\(code): cannot \(operation) \(path)): free some space and run the command again; nothing was replaced"
            default:
                break
            }
        }
        let reason = SystemError.reason(errno)
        let hint: String =
            switch errno {
            case ENOSPC, EDQUOT: " The disk is full: free some space and run the command again; nothing was replaced."
            case EACCES, EPERM: " Check the folder's owner and permissions."
            case EROFS: " The file system is read-only: use a writable folder."
            default: ""
            }
        return "cannot \(operation) \(path): \(reason) (\(code)).\(hint)"
    }

    /// The errno's symbolic name ("EROFS"), or "errno N" for one without a name.
    public static func symbol(_ errno: Int32) -> String {
        SystemError.symbol(errno)
    }

    /// The errno behind a Foundation error (NSPOSIXErrorDomain, or a Cocoa file error that
    /// carries one as its underlying error), when there is one.
    public static func errno(of error: any Error) -> Int32? {
        if let error = error as? FileSystemError { return error.errno }
        if let error = error as? SystemError { return error.errno }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error { return Self.errno(of: underlying) }
        return nil
    }
}
