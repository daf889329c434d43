import Glibc

/// The one thin layer between mfpbridge and the kernel: every wrapper returns its value or throws
/// a ``SystemError`` (the call, its path or descriptor, and errno) at once. EINTR is retried here,
/// in ``valueOrErrno(_:path:descriptor:retryOnInterrupt:_:)``, and nowhere else; the few calls that
/// must not be retried say why. Programmer errors (EFAULT, EBADF) stop the program: they are bugs.
///
/// Descriptor I/O (open, read, pread, write, pwrite, ftruncate, close) goes through swift-system
/// (`Syscall+Files.swift`); the calls it does not cover call Glibc here.
public enum Syscall {
    /// Runs `body`, a libc call that returns -1 and sets errno on failure. Retries on EINTR when
    /// `retryOnInterrupt` (the default); otherwise EINTR is thrown like any other errno.
    @inline(__always)
    static func valueOrErrno<T: FixedWidthInteger>(
        _ call: String, path: String? = nil, descriptor: Int32? = nil,
        retryOnInterrupt: Bool = true, _ body: () -> T
    ) throws(SystemError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR && retryOnInterrupt { continue }
            try check(call, code)
            throw SystemError(call: call, path: path, descriptor: descriptor, errno: code)
        }
    }

    /// For the calls that return the error number itself (pthread_create): 0 or throws.
    @inline(__always)
    static func zeroOrError(_ call: String, path: String? = nil, _ body: () -> Int32) throws(SystemError) {
        while true {
            let code = body()
            if code == 0 { return }
            if code == EINTR { continue }
            try check(call, code)
            throw SystemError(call: call, path: path, errno: code)
        }
    }

    @inline(__always)
    static func check(_ call: String, _ code: Int32) throws(SystemError) {
        precondition(code != EFAULT, "\(call) was passed a bad address: a bug in mfpbridge")
        precondition(code != EBADF, "\(call) was passed a closed descriptor: a bug in mfpbridge")
    }
}
