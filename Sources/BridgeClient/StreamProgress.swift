import BridgeTransfer

// Progress of a resumable stream, reported from the bytes it writes or reads: the engine itself
// knows nothing of progress bars.

/// A sink that reports, after each write, how far the stream has got.
final class ProgressSink: DurableSink {
    let base: any DurableSink
    let total: Int
    let report: @Sendable (Int, Int) -> Void

    init(_ base: any DurableSink, total: Int, report: @escaping @Sendable (Int, Int) -> Void) {
        self.base = base
        self.total = total
        self.report = report
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileSystemError) {
        try base.write(bytes, at: offset)
        report(Int(offset) + bytes.count, total)
    }

    func read(at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] { try base.read(at: offset, count: count) }
    func size() throws(FileSystemError) -> UInt64 { try base.size() }
    func sync() throws(FileSystemError) { try base.sync() }
    func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError) { try base.appendCheckpoint(record) }
    func checkpoints() -> [TransferRecord] { base.checkpoints() }
}

/// A source that reports, after each read, how far the stream has got (a rewind goes back).
struct ProgressSource: StreamSource {
    let base: any StreamSource
    let report: @Sendable (Int, Int) -> Void

    var size: UInt64 { base.size }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        try base.read(at: offset, into: buffer)
        report(Int(offset) + buffer.count, Int(size))
    }

    /// The base's: wrapping a source must not make its sender hash what it already knows.
    var chainIndex: BlockChainIndex? { base.chainIndex }
}
