import BridgeSystem
import BridgeWire
import Foundation
import Glibc // O_* constants only; the calls go through BridgeSystem
import Synchronization

/// One checkpoint as stored on disk: 128 bytes, little-endian, with its own CRC32C, so that a
/// torn or damaged record is recognized and ends replay (docs/protocol.md, "Resumable streams").
///
/// | bytes | field |
/// | --- | --- |
/// | 0-3 | magic `4D 42 43 4B` ("MBCK") |
/// | 4-5 | record version, 1 |
/// | 6-7 | 0 |
/// | 8-15 | transfer id |
/// | 16-23 | offset |
/// | 24-31 | total size of the stream, `FFFF FFFF FFFF FFFF` when not known yet |
/// | 32-39 | time, nanoseconds since 1970 (signed) |
/// | 40-71 | chain hash at offset |
/// | 72-103 | chain hash at the start of offset's 1 MiB block |
/// | 104-123 | 0 |
/// | 124-127 | CRC32C of bytes 0-123 |
public struct TransferRecord: Sendable, Hashable {
    public static let byteCount = 128
    static let magic: [UInt8] = [0x4D, 0x42, 0x43, 0x4B]
    static let version: UInt16 = 1

    public var transferID: UInt64
    public var point: ChainPoint
    /// The stream's total size when known.
    public var totalSize: UInt64?
    /// Nanoseconds since 1970.
    public var time: Int64

    public init(transferID: UInt64, point: ChainPoint, totalSize: UInt64? = nil, time: Int64 = TransferRecord.now()) {
        self.transferID = transferID
        self.point = point
        self.totalSize = totalSize
        self.time = time
    }

    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    public func encoded() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(Self.byteCount)
        Self.append(Self.version, to: &out)
        Self.append(UInt16(0), to: &out)
        Self.append(transferID, to: &out)
        Self.append(point.offset, to: &out)
        Self.append(totalSize ?? .max, to: &out)
        Self.append(time, to: &out)
        out += point.hash.bytes
        out += point.base.bytes
        out += [UInt8](repeating: 0, count: 20)
        Self.append(CRC32C.checksum(out), to: &out)
        assert(out.count == Self.byteCount)
        return out
    }

    /// Nil when the bytes are not one intact record (wrong magic, version or CRC).
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.byteCount,
            Array(bytes[0..<4]) == Self.magic,
            Self.load(UInt16.self, bytes, 4) == Self.version,
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<124])) == Self.load(UInt32.self, bytes, 124)
        else { return nil }
        let size = Self.load(UInt64.self, bytes, 24)
        self.init(
            transferID: Self.load(UInt64.self, bytes, 8),
            point: ChainPoint(
                offset: Self.load(UInt64.self, bytes, 16),
                hash: ChainHash(unchecked: Array(bytes[40..<72])),
                base: ChainHash(unchecked: Array(bytes[72..<104]))),
            totalSize: size == .max ? nil : size,
            time: Self.load(Int64.self, bytes, 32))
    }

    public init?(decoding bytes: [UInt8]) {
        guard let record = bytes.withUnsafeBytes({ TransferRecord(decoding: $0) }) else { return nil }
        self = record
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// An append-only file of ``TransferRecord``s: replay keeps the records before the first bad or
/// torn one and cuts the file there (so new records are never hidden behind damage); every
/// append is fsynced before it returns. Used by ``TransferJournal`` and by ``PartFile``'s sidecar.
///
/// Ownership: owns its descriptor and closes it in `close()` (or when released).
final class RecordFile: Sendable {
    let path: String
    private struct State {
        var fd: Int32
        var records: [TransferRecord]
        var length: Int
    }
    private let state: Mutex<State>
    /// Bytes cut off at open: a torn or damaged tail.
    let discardedBytes: Int

    init(path: String) throws(FileSystemError) {
        self.path = path
        let existed = Syscall.exists(path)
        let file = try FileSystemError.translating("open", path: path) { () throws(SystemError) -> FileDescriptor in
            try FileDescriptor(opening: path, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o600)
        }
        let fd = file.raw
        var records: [TransferRecord] = []
        var valid = 0
        var total = 0
        do { // on failure `file` closes the descriptor
            let bytes = try RecordFile.readAll(fd, path: path)
            total = bytes.count
            bytes.withUnsafeBytes { all in
                while valid + TransferRecord.byteCount <= all.count,
                    let record = TransferRecord(decoding: UnsafeRawBufferPointer(rebasing: all[valid..<(valid + TransferRecord.byteCount)]))
                {
                    records.append(record)
                    valid += TransferRecord.byteCount
                }
            }
            if valid < total {
                try FileSystemError.translating("truncate the damaged tail of", path: path) { () throws(SystemError) in
                    try Syscall.ftruncate(fd, to: UInt64(valid))
                }
                try FileSystemError.translating("fsync", path: path) { () throws(SystemError) in try Syscall.fsync(fd) }
            }
            if !existed { try DurableFile.syncDirectory(RecordFile.folder(of: path)) }
        }
        self.discardedBytes = total - valid
        self.state = Mutex(State(fd: file.take(), records: records, length: valid))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { Syscall.close($0.fd) } }
    }

    var records: [TransferRecord] { state.withLock { $0.records } }

    /// Writes the record at the end and fsyncs; on failure the file is cut back to its last good record.
    func append(_ record: TransferRecord) throws(FileSystemError) {
        let bytes = record.encoded()
        let result: FileSystemError? = state.withLock { state in
            guard state.fd >= 0 else { return FileSystemError(operation: "append to (closed)", path: path, errno: EBADF) }
            do throws(FileSystemError) {
                let fd = state.fd, length = UInt64(state.length)
                try FileSystemError.translating("write", path: path) { () throws(SystemError) in
                    try Syscall.pwriteAll(fd, bytes, at: length)
                }
                try FileSystemError.translating("fsync", path: path) { () throws(SystemError) in try Syscall.fsync(state.fd) }
            } catch {
                _ = try? Syscall.ftruncate(state.fd, to: UInt64(state.length))
                return error
            }
            state.length += bytes.count
            state.records.append(record)
            return nil
        }
        if let result { throw result }
    }

    func close() {
        state.withLock { state in
            if state.fd >= 0 { Syscall.close(state.fd) }
            state.fd = -1
        }
    }

    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    private static func readAll(_ fd: Int32, path: String) throws(FileSystemError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: UInt64 = 0
        while true {
            let n = try FileSystemError.translating("read", path: path) { () throws(SystemError) in
                try Syscall.pread(fd, into: &chunk, at: offset)
            }
            if n == 0 { return out }
            out += chunk[0..<n]
            offset += UInt64(n)
        }
    }
}
