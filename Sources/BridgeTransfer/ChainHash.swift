import Crypto

/// A 32-byte SHA-256 value of the stream's hash chain (docs/protocol.md, "Resumable streams").
public struct ChainHash: Sendable, Hashable, CustomStringConvertible {
    public static let byteCount = 32
    /// The chain at offset 0: 32 zero bytes.
    public static let zero = ChainHash(unchecked: [UInt8](repeating: 0, count: 32))

    public let bytes: [UInt8]

    /// Nil unless `bytes` holds exactly 32 bytes.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(_ digest: SHA256.Digest) {
        self.bytes = Array(digest)
    }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// A position in a stream with the chain there: what a checkpoint records and what resume compares.
public struct ChainPoint: Sendable, Hashable, CustomStringConvertible {
    /// Bytes of the stream covered.
    public var offset: UInt64
    /// The chain at `offset`.
    public var hash: ChainHash
    /// The chain at the start of the block holding `offset` (`offset` rounded down to
    /// ``StreamChain/blockSize``); with the bytes from there to `offset` it rebuilds the running
    /// state without reading the prefix.
    public var base: ChainHash

    public init(offset: UInt64, hash: ChainHash, base: ChainHash) {
        self.offset = offset
        self.hash = hash
        self.base = base
    }

    /// Offset 0, chain zero: the start of every stream.
    public static let start = ChainPoint(offset: 0, hash: .zero, base: .zero)

    /// Where the block holding `offset` starts.
    public var blockStart: UInt64 { offset - offset % StreamChain.blockSize }

    public var description: String { "\(offset)/\(hash.description.prefix(16))" }
}

/// The running SHA-256 hash chain over a stream, defined on fixed 1 MiB logical blocks so that it
/// does not depend on how a link cut the stream into chunks:
///
///     H(0) = 32 zero bytes
///     H((k+1)·B) = SHA-256(H(k·B) || u64le(k) || bytes [k·B, (k+1)·B))
///     H(X), X not a multiple of B, n = X / B:  SHA-256(H(n·B) || u64le(n) || bytes [n·B, X))
///
/// Copying a chain is cheap (the hash state is copied on write), so a sender can keep the chain at
/// each chunk it has in flight.
///
/// `@unchecked Sendable`: `SHA256` is a value type whose state is copied on write (like an
/// `Array`'s storage), so two copies never share mutable state; it only lacks the annotation.
public struct StreamChain: @unchecked Sendable {
    public static let blockSize: UInt64 = 1 << 20

    /// Bytes absorbed so far (the stream offset reached).
    public private(set) var offset: UInt64
    /// The chain at the start of the current block.
    public private(set) var base: ChainHash
    /// Started when the first byte of a block arrives; nil at a block boundary.
    private var block: SHA256?

    /// The chain at offset 0.
    public init() {
        offset = 0
        base = .zero
    }

    /// Rebuilds the chain at `point` from the bytes between its block start and its offset (at
    /// most one block). Nil when they do not give the point's hash: the bytes are not the ones
    /// that were checkpointed.
    /// The chain at the start of block `block`, whose base is `base`.
    init(block: UInt64, base: ChainHash) {
        offset = block * Self.blockSize
        self.base = base
    }

    public init?(resumingAt point: ChainPoint, blockPrefix: UnsafeRawBufferPointer) {
        guard UInt64(blockPrefix.count) == point.offset - point.blockStart else { return nil }
        offset = point.blockStart
        base = point.base
        absorb(blockPrefix)
        guard digest == point.hash else { return nil }
    }

    public init?(resumingAt point: ChainPoint, blockPrefix: [UInt8]) {
        let chain = blockPrefix.withUnsafeBytes { StreamChain(resumingAt: point, blockPrefix: $0) }
        guard let chain else { return nil }
        self = chain
    }

    /// The chain at ``offset``.
    public var digest: ChainHash {
        guard let block else { return base }
        return ChainHash(block.finalize())
    }

    /// ``offset``, ``digest`` and ``base`` together.
    public var point: ChainPoint {
        ChainPoint(offset: offset, hash: digest, base: base)
    }

    public mutating func absorb(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let within = offset % Self.blockSize
            if within == 0 {
                var hasher = SHA256()
                base.bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                var index = (offset / Self.blockSize).littleEndian
                withUnsafeBytes(of: &index) { hasher.update(bufferPointer: $0) }
                block = hasher
            }
            let take = Int(min(UInt64(rest.count), Self.blockSize - within))
            block!.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            offset += UInt64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if offset % Self.blockSize == 0 {
                base = ChainHash(block!.finalize())
                block = nil
            }
        }
    }

    public mutating func absorb(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { absorb($0) }
    }

    /// The chain over all of `bytes` (for tests and small payloads).
    public static func hash(of bytes: [UInt8]) -> ChainHash {
        var chain = StreamChain()
        chain.absorb(bytes)
        return chain.digest
    }
}
