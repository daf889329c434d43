import BridgeSystem
import Foundation
import Glibc // O_* constants only; the calls go through BridgeSystem
import Synchronization

/// Where a ``StreamReceiver`` puts a stream: bytes written at offsets, made durable by `sync()`,
/// and the checkpoints it acknowledged (which must survive a power cut, so that the receiver can
/// offer them when the transfer resumes).
///
/// `write` and `read` are called by the receiving thread; `sync` and `appendCheckpoint` by the
/// receiver's checkpoint thread, concurrently with writes: `sync` must make durable at least every
/// byte whose `write` returned before `sync` was called.
public protocol DurableSink: AnyObject, Sendable {
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileSystemError)
    /// Exactly `count` bytes at `offset` (fewer only past the end).
    func read(at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8]
    /// The content's current length.
    func size() throws(FileSystemError) -> UInt64
    /// fsync: every byte written before this call is durable when it returns.
    func sync() throws(FileSystemError)
    /// Durably records a checkpoint; called only after a `sync` that covers it.
    func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError)
    /// The checkpoints recorded, oldest first (what survived replay).
    func checkpoints() -> [TransferRecord]
}

/// A file being received: `NAME.part`, written at offsets, with the checkpoints in the sidecar
/// `NAME.part.ckpt` (fixed, checksummed records; see ``TransferRecord``). `publish()` renames the
/// part to `NAME` and fsyncs the folder: call it only after the whole content verified (the
/// receiver's result gives the final size and chain hash).
///
/// Ownership: owns the part's descriptor and the sidecar; `close()` or `publish()` releases them.
public final class PartFile: DurableSink {
    /// The final name.
    public let path: String
    public var partPath: String { path + ".part" }
    public var sidecarPath: String { path + ".part.ckpt" }
    private let fd: Int32
    private let sidecar: RecordFile
    private let folderSynced = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)

    private init(path: String, fd: Int32, sidecar: RecordFile, isNew: Bool) {
        self.path = path
        self.fd = fd
        self.sidecar = sidecar
        folderSynced.store(!isNew, ordering: .relaxed)
    }

    deinit { close() }

    /// Opens `path.part` (created if missing, kept if present: the transfer resumes) and replays
    /// the sidecar `path.part.ckpt`.
    public static func open(path: String) throws(FileSystemError) -> PartFile {
        let part = path + ".part"
        let isNew = !Syscall.exists(part)
        let file = try FileSystemError.translating("open", path: part) { () throws(SystemError) -> FileDescriptor in
            try FileDescriptor(opening: part, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o600)
        }
        let sidecar = try RecordFile(path: path + ".part.ckpt") // on failure `file` closes the part
        return PartFile(path: path, fd: file.take(), sidecar: sidecar, isNew: isNew)
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileSystemError) {
        try FileSystemError.translating("write", path: partPath) { () throws(SystemError) in
            try Syscall.pwriteAll(fd, bytes, at: offset)
        }
    }

    public func read(at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] {
        try FileSystemError.translating("read", path: partPath) { () throws(SystemError) in
            try Syscall.preadFully(fd, count: count, at: offset)
        }
    }

    public func size() throws(FileSystemError) -> UInt64 {
        let info = try FileSystemError.translating("stat", path: partPath) { () throws(SystemError) in try Syscall.fstat(fd) }
        return UInt64(info.st_size)
    }

    public func sync() throws(FileSystemError) {
        try FileSystemError.translating("fsync", path: partPath) { () throws(SystemError) in try Syscall.fsync(fd) }
        // A new part file survives a power cut only once its folder entry does.
        if !folderSynced.load(ordering: .relaxed) {
            try DurableFile.syncDirectory(RecordFile.folder(of: path))
            folderSynced.store(true, ordering: .relaxed)
        }
    }

    public func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError) {
        try sidecar.append(record)
    }

    public func checkpoints() -> [TransferRecord] { sidecar.records }

    /// Cuts the part to `size` bytes (drops what a resume will send again).
    public func truncate(to size: UInt64) throws(FileSystemError) {
        try FileSystemError.translating("truncate", path: partPath) { () throws(SystemError) in try Syscall.ftruncate(fd, to: size) }
    }

    /// fsyncs the part, renames it to ``path``, fsyncs the folder, then removes the sidecar. Call
    /// only once the content verified; the part file is closed afterwards.
    public func publish() throws(FileSystemError) {
        try sync()
        try FileSystemError.translating("rename into place", path: path) { () throws(SystemError) in
            try Syscall.rename(partPath, to: path)
        }
        try DurableFile.syncDirectory(RecordFile.folder(of: path))
        close()
        _ = try? Syscall.unlink(sidecarPath)
        try DurableFile.syncDirectory(RecordFile.folder(of: path))
    }

    /// Removes the part and its sidecar (a transfer abandoned).
    public func discard() throws(FileSystemError) {
        close()
        _ = try? Syscall.unlink(partPath)
        _ = try? Syscall.unlink(sidecarPath)
        try DurableFile.syncDirectory(RecordFile.folder(of: path))
    }

    public func close() {
        if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
        Syscall.close(fd)
        sidecar.close()
    }
}
