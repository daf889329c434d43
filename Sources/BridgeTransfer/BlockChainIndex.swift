/// The stream chain at block boundaries: `base(ofBlock: k)` is H(k·B) (``StreamChain``). With the
/// base of a block, the chain at any offset inside it costs at most one block of hashing, so a
/// sender that knows its source's index (a device that keeps a digest per block, a file verified
/// before it is sent) never hashes while it sends.
public struct BlockChainIndex: Sendable, Equatable {
    private var bases: [UInt64: ChainHash]

    /// Knows only block 0 (the chain's start).
    public init() {
        bases = [0: .zero]
    }

    public func base(ofBlock block: UInt64) -> ChainHash? {
        bases[block]
    }

    public mutating func record(_ base: ChainHash, ofBlock block: UInt64) {
        bases[block] = base
    }

    /// Forgets the blocks before `block` (no rewind or checkpoint can reach them any more).
    public mutating func forget(before block: UInt64) {
        bases = bases.filter { $0.key >= block }
    }

    /// Blocks known.
    public var count: Int { bases.count }

    /// The point at `offset` of `source`: its block's base plus the bytes from the block start to
    /// `offset` (at most one block). Nil when the index lacks that block.
    public func point(at offset: UInt64, of source: any StreamSource) throws(StreamError) -> ChainPoint? {
        let block = offset / StreamChain.blockSize
        guard offset <= source.size, let base = bases[block] else { return nil }
        var chain = StreamChain(block: block, base: base)
        let start = block * StreamChain.blockSize
        if offset > start {
            var buffer = [UInt8](repeating: 0, count: Int(offset - start))
            let outcome = buffer.withUnsafeMutableBytes { b in
                Result { () throws(StreamError) in try source.read(at: start, into: b) }
            }
            try outcome.get()
            chain.absorb(buffer)
        }
        return chain.point
    }

    /// The whole index of `source` and its chain hash, read in 1 MiB pieces (memory stays flat).
    public static func of(_ source: any StreamSource) throws(StreamError) -> (index: BlockChainIndex, chain: ChainHash) {
        var indexing = IndexingChain()
        var buffer = [UInt8](repeating: 0, count: Int(StreamChain.blockSize))
        while indexing.chain.offset < source.size {
            let offset = indexing.chain.offset
            let count = Int(min(StreamChain.blockSize, source.size - offset))
            if buffer.count != count { buffer = [UInt8](repeating: 0, count: count) }
            let outcome = buffer.withUnsafeMutableBytes { b in
                Result { () throws(StreamError) in try source.read(at: offset, into: b) }
            }
            try outcome.get()
            buffer.withUnsafeBytes { indexing.absorb($0) }
        }
        return (indexing.index, indexing.chain.digest)
    }
}

/// A stream chain that records the base of each block it completes in an index.
public struct IndexingChain: Sendable {
    public private(set) var chain: StreamChain
    public private(set) var index: BlockChainIndex

    /// From `start` (the chain's beginning by default); the index knows the start's block.
    public init(start: StreamChain = StreamChain()) {
        chain = start
        index = BlockChainIndex()
        index.record(start.base, ofBlock: start.offset / StreamChain.blockSize)
    }

    public mutating func absorb(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let take = min(rest.count, Int(StreamChain.blockSize - chain.offset % StreamChain.blockSize))
            chain.absorb(UnsafeRawBufferPointer(rebasing: rest[..<take]))
            if chain.offset % StreamChain.blockSize == 0 {
                index.record(chain.base, ofBlock: chain.offset / StreamChain.blockSize)
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
        }
    }

    /// Forgets the blocks before the block of `offset`.
    public mutating func forget(before offset: UInt64) {
        index.forget(before: offset / StreamChain.blockSize)
    }
}

/// A source with its whole ``BlockChainIndex`` known: its sender does not hash what it sends.
public struct IndexedSource: StreamSource {
    public let base: any StreamSource
    public let chainIndex: BlockChainIndex?

    public init(_ base: any StreamSource, index: BlockChainIndex) {
        self.base = base
        self.chainIndex = index
    }

    public var size: UInt64 { base.size }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        try base.read(at: offset, into: buffer)
    }
}
