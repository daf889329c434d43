import BridgeLink
import BridgeSystem
import BridgeWire
import Foundation
import Glibc // O_* and E* constants only; the calls go through BridgeSystem

/// How a stream uses its link. ``forLink(_:)`` gives the defaults for a link's framing.
public struct StreamConfiguration: Sendable {
    /// Payload bytes per data frame (1 ... `Frame.maxPayload`).
    public var chunkSize: Int
    /// Bytes the receiver lets the sender have in flight beyond what it has written.
    public var window: UInt64
    /// Receiver: make durable and acknowledge after this many bytes since the last checkpoint...
    public var checkpointBytes: UInt64
    /// ...or this long since the last one (nil: by bytes only).
    public var checkpointInterval: Duration?
    /// Receiver: no useful frame for this long: send the offer or a rewind again (lost frames).
    public var retransmitAfter: Duration
    /// Either side: nothing useful for this long: give up with ``StreamError/Code/timeout``.
    public var stallTimeout: Duration

    public init(
        chunkSize: Int, window: UInt64, checkpointBytes: UInt64 = 64 << 20,
        checkpointInterval: Duration? = .seconds(2), retransmitAfter: Duration = .seconds(1),
        stallTimeout: Duration = .seconds(30)
    ) {
        precondition(chunkSize > 0 && chunkSize <= Frame.maxPayload, "chunk size must be 1 ... \(Frame.maxPayload)")
        precondition(window >= UInt64(chunkSize), "the window must hold at least one chunk")
        self.chunkSize = chunkSize
        self.window = window
        self.checkpointBytes = max(1, checkpointBytes)
        self.checkpointInterval = checkpointInterval
        self.retransmitAfter = retransmitAfter
        self.stallTimeout = stallTimeout
    }

    /// Sockets and USB (`.raw`): 256 KiB chunks, 8 MiB window. Serial lines (`.cobs`): 4 KiB
    /// chunks, 256 KiB window. Checkpoints every 64 MiB or 2 s.
    public static func forLink(_ framing: Framing) -> StreamConfiguration {
        switch framing {
        case .raw: StreamConfiguration(chunkSize: 256 << 10, window: 8 << 20)
        case .cobs: StreamConfiguration(chunkSize: 4 << 10, window: 256 << 10)
        }
    }
}

/// Why a stream stopped. A `.link` failure (cut, closed, vanished) is the resumable one: open a
/// new link and run a new sender and receiver from the journal and the part file.
public struct StreamError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The link failed or was closed.
        case link
        /// A file (part, sidecar, journal, source) failed.
        case file
        /// Nothing useful arrived for ``StreamConfiguration/stallTimeout``.
        case timeout
        /// The peer sent something this protocol does not allow.
        case protocolViolation
        /// The receiver acknowledged a chain hash the sender did not compute: the bytes differ.
        case chainMismatch
        /// The other side cancelled the stream (its message says why).
        case cancelled
    }

    public var code: Code
    public var message: String
    public var linkError: LinkError?
    public var fileError: FileSystemError?

    public init(code: Code, message: String, linkError: LinkError? = nil, fileError: FileSystemError? = nil) {
        self.code = code
        self.message = message
        self.linkError = linkError
        self.fileError = fileError
    }

    init(_ error: LinkError) {
        self.init(code: .link, message: error.description, linkError: error)
    }

    init(_ error: FileSystemError) {
        self.init(code: .file, message: error.description, fileError: error)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// What a finished stream carried: checked by the caller before it publishes anything.
public struct StreamResult: Sendable, Equatable {
    public var size: UInt64
    /// The chain over the whole stream.
    public var chain: ChainHash
    /// Where this run started (0, or the checkpoint it resumed from).
    public var resumedFrom: UInt64
    /// Payload bytes this run sent or received (resent bytes included).
    public var bytesTransferred: UInt64
    public var checkpoints: Int

    public init(size: UInt64, chain: ChainHash, resumedFrom: UInt64, bytesTransferred: UInt64, checkpoints: Int) {
        self.size = size
        self.chain = chain
        self.resumedFrom = resumedFrom
        self.bytesTransferred = bytesTransferred
        self.checkpoints = checkpoints
    }
}

// MARK: - Sources

/// The bytes a ``StreamSender`` sends: random access, so that a resume or a rewind reads only
/// what it sends again.
public protocol StreamSource: Sendable {
    var size: UInt64 { get }
    /// Fills `buffer` with the bytes at `offset` (the range lies within `size`).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError)
    /// The chain at every block boundary, when the source knows it (``IndexedSource``); nil
    /// (the default) makes the sender hash the bytes as it first sends them.
    var chainIndex: BlockChainIndex? { get }
}

extension StreamSource {
    public var chainIndex: BlockChainIndex? { nil }
}

/// Bytes in memory.
public struct BytesSource: StreamSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: UInt64 { UInt64(bytes.count) }
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        bytes.withUnsafeBytes { all in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[Int(offset)..<(Int(offset) + buffer.count)]))
        }
    }
}

/// Deterministic generated bytes of any size (benchmarks, tests): word i (8 bytes, little-endian)
/// is SplitMix64 of `seed + i`.
public struct GeneratedSource: StreamSource {
    public let size: UInt64
    public let seed: UInt64
    public init(size: UInt64, seed: UInt64) {
        self.size = size
        self.seed = seed
    }

    public static func word(_ index: UInt64, seed: UInt64) -> UInt64 {
        var z = (seed &+ index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        var position = offset
        var index = 0
        let end = buffer.count
        // Unaligned head, then whole words, then the tail.
        while index < end && position % 8 != 0 {
            buffer[index] = UInt8(truncatingIfNeeded: Self.word(position / 8, seed: seed) >> ((position % 8) * 8))
            index += 1
            position += 1
        }
        while end - index >= 8 {
            buffer.storeBytes(of: Self.word(position / 8, seed: seed).littleEndian, toByteOffset: index, as: UInt64.self)
            index += 8
            position += 8
        }
        while index < end {
            buffer[index] = UInt8(truncatingIfNeeded: Self.word(position / 8, seed: seed) >> ((position % 8) * 8))
            index += 1
            position += 1
        }
    }

    /// The whole content (small sizes only).
    public func bytes() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(size))
        out.withUnsafeMutableBytes { try? read(at: 0, into: $0) }
        return out
    }
}

/// A file read with pread. Ownership: owns its descriptor until `close()`.
public final class FileSource: StreamSource {
    public let path: String
    public let size: UInt64
    private let fd: Int32

    public init(path: String) throws(FileSystemError) {
        self.path = path
        let file = try FileSystemError.translating("open", path: path) { () throws(SystemError) -> FileDescriptor in
            try FileDescriptor(opening: path, O_RDONLY | O_CLOEXEC)
        }
        let info = try FileSystemError.translating("stat", path: path) { () throws(SystemError) in try Syscall.fstat(file.raw) }
        self.fd = file.take()
        self.size = UInt64(info.st_size)
    }

    deinit { Syscall.close(fd) }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        let done: Int
        do throws(SystemError) {
            done = try Syscall.preadFully(fd, into: buffer, at: offset)
        } catch {
            throw StreamError(FileSystemError(error, operation: "read", path: path))
        }
        if done < buffer.count {
            throw StreamError(FileSystemError(operation: "read (the file shrank)", path: path, errno: EIO))
        }
    }
}
