import BridgeWire
import Foundation
import Glibc
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
        let existed = access(path, F_OK) == 0
        let fd = retryingOnInterrupt { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: path, errno: errno) }
        var records: [TransferRecord] = []
        var valid = 0
        var total = 0
        do throws(FileSystemError) {
            let bytes = try RecordFile.readAll(fd, path: path)
            total = bytes.count
            bytes.withUnsafeBytes { all in
                while valid + TransferRecord.byteCount <= all.count,
                      let record = TransferRecord(decoding: UnsafeRawBufferPointer(rebasing: all[valid..<(valid + TransferRecord.byteCount)])) {
                    records.append(record)
                    valid += TransferRecord.byteCount
                }
            }
            if valid < total {
                guard ftruncate(fd, off_t(valid)) == 0 else { throw FileSystemError(operation: "truncate the damaged tail of", path: path, errno: errno) }
                guard retryingOnInterrupt({ fsync(fd) }) == 0 else { throw FileSystemError(operation: "fsync", path: path, errno: errno) }
            }
            if !existed { try DurableFile.syncDirectory(RecordFile.folder(of: path)) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.discardedBytes = total - valid
        self.state = Mutex(State(fd: fd, records: records, length: valid))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { Glibc.close($0.fd) } }
    }

    var records: [TransferRecord] { state.withLock { $0.records } }

    /// Writes the record at the end and fsyncs; on failure the file is cut back to its last good record.
    func append(_ record: TransferRecord) throws(FileSystemError) {
        let bytes = record.encoded()
        let result: FileSystemError? = state.withLock { state in
            guard state.fd >= 0 else { return FileSystemError(operation: "append to (closed)", path: path, errno: EBADF) }
            let written = bytes.withUnsafeBytes { pwriteAll(state.fd, $0, at: off_t(state.length)) }
            if written != 0 || retryingOnInterrupt({ fsync(state.fd) }) != 0 {
                let failure = FileSystemError(operation: written != 0 ? "write" : "fsync", path: path, errno: errno)
                _ = ftruncate(state.fd, off_t(state.length))
                return failure
            }
            state.length += bytes.count
            state.records.append(record)
            return nil
        }
        if let result { throw result }
    }

    func close() {
        state.withLock { state in
            if state.fd >= 0 { Glibc.close(state.fd) }
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
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, errno: errno)
            }
            if n == 0 { return out }
            out += chunk[0..<n]
            offset += off_t(n)
        }
    }
}

/// Writes all of `bytes` at `offset`; 0 on success, -1 with errno set otherwise.
func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: off_t) -> Int32 {
    var done = 0
    while done < bytes.count {
        let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, offset + off_t(done))
        if n < 0 {
            if errno == EINTR { continue }
            return -1
        }
        done += n
    }
    return 0
}
