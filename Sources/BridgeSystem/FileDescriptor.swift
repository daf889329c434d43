/// Owns one open file descriptor: it is closed exactly once, when this value goes away, unless
/// `take()` hands it on to its next owner (a link's descriptor, a part file), which then closes it.
///
/// (Not swift-system's `FileDescriptor`, which is a copyable number that nobody owns: this one
/// cannot be copied, so it cannot be closed twice or leaked by a `throw`.)
public struct FileDescriptor: ~Copyable {
    public let raw: Int32

    /// Takes ownership of `raw`.
    public init(takingOwnershipOf raw: Int32) {
        self.raw = raw
    }

    /// Opens `path` (see ``Syscall/open(_:_:mode:)``) and owns the descriptor.
    public init(opening path: String, _ flags: Int32, mode: UInt32? = nil) throws(SystemError) {
        raw = try Syscall.open(path, flags, mode: mode)
    }

    /// Gives up ownership without closing.
    public consuming func take() -> Int32 {
        let raw = self.raw
        discard self
        return raw
    }

    deinit {
        Syscall.close(raw)
    }
}
