/// `size` bytes of another source from `offset` on: a box backup's payload between its preamble
/// and its trailer.
public struct SliceSource: StreamSource {
    public let base: any StreamSource
    public let offset: UInt64
    public let size: UInt64

    public init(_ base: any StreamSource, offset: UInt64, size: UInt64) {
        precondition(offset <= base.size && size <= base.size - offset, "a slice beyond its source")
        self.base = base
        self.offset = offset
        self.size = size
    }

    public func read(at position: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        try base.read(at: offset + position, into: buffer)
    }

    /// The base's index holds only for a slice that starts at 0: a chain depends on every byte before it.
    public var chainIndex: BlockChainIndex? { offset == 0 ? base.chainIndex : nil }
}

/// A ``DurableSink`` that keeps its stream `offset` bytes into another one: a box backup's
/// payload, received after the preamble at the start of its part file. Sizes and offsets are the
/// stream's; the checkpoints are the base's.
public final class OffsetSink: DurableSink {
    public let base: any DurableSink
    public let offset: UInt64

    public init(_ base: any DurableSink, offset: UInt64) {
        self.base = base
        self.offset = offset
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at position: UInt64) throws(FileSystemError) {
        try base.write(bytes, at: offset + position)
    }

    public func read(at position: UInt64, count: Int) throws(FileSystemError) -> [UInt8] {
        try base.read(at: offset + position, count: count)
    }

    public func size() throws(FileSystemError) -> UInt64 {
        let size = try base.size()
        return size > offset ? size - offset : 0
    }

    public func sync() throws(FileSystemError) { try base.sync() }

    public func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError) { try base.appendCheckpoint(record) }

    public func checkpoints() -> [TransferRecord] { base.checkpoints() }
}
