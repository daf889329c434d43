/// The first `size` bytes of another source: a box backup's payload without its trailer.
public struct PrefixSource: StreamSource {
    public let base: any StreamSource
    public let size: UInt64

    public init(_ base: any StreamSource, size: UInt64) {
        precondition(size <= base.size, "a prefix longer than its source")
        self.base = base
        self.size = size
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        try base.read(at: offset, into: buffer)
    }

    /// The base's index holds for the prefix: the chain at an offset depends only on the bytes before it.
    public var chainIndex: BlockChainIndex? { base.chainIndex }
}
