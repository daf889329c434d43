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
}

extension StreamChain {
    /// The chain hash of a whole source, read in 1 MiB pieces (memory stays flat).
    public static func hash(of source: any StreamSource) throws(StreamError) -> ChainHash {
        var chain = StreamChain()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: UInt64 = 0
        while offset < source.size {
            let count = Int(min(UInt64(buffer.count), source.size - offset))
            if buffer.count != count { buffer = [UInt8](repeating: 0, count: count) }
            let result = buffer.withUnsafeMutableBytes { pointer -> Result<Void, StreamError> in
                Result { () throws(StreamError) in try source.read(at: offset, into: pointer) }
            }
            try result.get()
            chain.absorb(buffer)
            offset += UInt64(count)
        }
        return chain.digest
    }
}
