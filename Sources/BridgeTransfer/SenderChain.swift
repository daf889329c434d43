/// The sender's side of the stream chain. With a source that brings its ``BlockChainIndex`` the
/// sender hashes nothing while it sends; otherwise it hashes each byte the first time it sends
/// it (resent bytes are not hashed again) and notes every block's base. Either way the chain at
/// an acknowledged offset costs at most one block of hashing, once per checkpoint.
struct SenderChain {
    private let source: any StreamSource
    /// The source's own index, when it brings one.
    private let known: BlockChainIndex?
    /// The running chain over every byte sent at least once, with the blocks it completed; unused
    /// when the source brings its index.
    private var frontier: IndexingChain

    /// Starts at `start` (the chain at the resume point, rebuilt from the source).
    init(source: any StreamSource, start: StreamChain) {
        self.source = source
        known = source.chainIndex
        frontier = IndexingChain(start: start)
    }

    /// Notes `bytes`, sent at `offset` (never beyond the bytes already sent once).
    mutating func sent(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) {
        let reached = frontier.chain.offset
        guard known == nil, offset <= reached, offset + UInt64(bytes.count) > reached else { return }
        frontier.absorb(UnsafeRawBufferPointer(rebasing: bytes[Int(reached - offset)...]))
    }

    /// The chain at `offset`, a point already sent.
    func point(at offset: UInt64) throws(StreamError) -> ChainPoint {
        if known == nil, frontier.chain.offset == offset { return frontier.chain.point }
        guard let point = try (known ?? frontier.index).point(at: offset, of: source) else {
            throw StreamError(code: .protocolViolation, message: "no chain known at \(offset): it was never sent")
        }
        return point
    }

    /// Drops the bases before the block of `offset` (acknowledged durable: nothing rewinds there).
    mutating func acknowledged(_ offset: UInt64) {
        frontier.forget(before: offset)
    }
}
