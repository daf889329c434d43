import Glibc

/// A failed system call: which call, on which path or descriptor, and the errno it left.
///
/// Every wrapper in ``Syscall`` throws this at once when its call fails; the layers above
/// translate it into what their users read (`LinkError` for links, `FileSystemError` for files).
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The C call, as written in C ("open", "ioctl(TIOCEXCL)").
    public var call: String
    /// The path the call was given, when it took one.
    public var path: String?
    /// The descriptor the call was given, when it took one and no path is known.
    public var descriptor: Int32?
    public var errno: Int32

    public init(call: String, path: String? = nil, descriptor: Int32? = nil, errno: Int32) {
        self.call = call
        self.path = path
        self.descriptor = descriptor
        self.errno = errno
    }

    /// "open /tmp/x: No such file or directory (ENOENT)".
    public var description: String {
        let subject = path.map { " \($0)" } ?? descriptor.map { " (descriptor \($0))" } ?? ""
        return "\(call)\(subject): \(reason) (\(symbol))"
    }

    /// The C library's text for the errno, read with `strerror_r` (thread-safe, unlike `strerror`).
    public var reason: String { Self.reason(errno) }

    /// The errno's symbolic name ("EROFS"), or "errno N".
    public var symbol: String { Self.symbol(errno) }

    /// `strerror` without the thread-safety problem.
    public static func reason(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        // The XSI strerror_r: 0 on success, text in `buffer`.
        let result = buffer.withUnsafeMutableBufferPointer { strerror_r(code, $0.baseAddress!, $0.count) }
        guard result == 0 else { return "errno \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The errno's symbolic name ("EROFS"), or "errno N" for one without a name here.
    public static func symbol(_ code: Int32) -> String {
        names[code] ?? "errno \(code)"
    }

    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO",
        EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES",
        EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV", ENODEV: "ENODEV",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE",
        ENOTTY: "ENOTTY", ETXTBSY: "ETXTBSY", EFBIG: "EFBIG", ENOSPC: "ENOSPC", ESPIPE: "ESPIPE",
        EROFS: "EROFS", EPIPE: "EPIPE", ENAMETOOLONG: "ENAMETOOLONG", ENOTEMPTY: "ENOTEMPTY",
        ELOOP: "ELOOP",
        EADDRINUSE: "EADDRINUSE", ECONNREFUSED: "ECONNREFUSED", ECONNRESET: "ECONNRESET",
        EISCONN: "EISCONN", ETIMEDOUT: "ETIMEDOUT", EDQUOT: "EDQUOT", ESTALE: "ESTALE",
        ENOTSOCK: "ENOTSOCK", EOPNOTSUPP: "EOPNOTSUPP",
    ]
}
