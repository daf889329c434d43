import BridgeTransfer

/// A sink that notes when the first byte after the handshake lands.
final class FirstWriteSink: DurableSink, @unchecked Sendable {
    // @unchecked: `firstWrite` is written once by the receiving thread before the link closes,
    // read after the receiver finished.
    let part: PartFile
    var firstWrite: ContinuousClock.Instant?
    let onFirst: @Sendable () -> Void
    init(part: PartFile, onFirst: @escaping @Sendable () -> Void) {
        self.part = part
        self.onFirst = onFirst
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileSystemError) {
        if firstWrite == nil {
            firstWrite = .now
            onFirst()
        }
        try part.write(bytes, at: offset)
    }
    func read(at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] { try part.read(at: offset, count: count) }
    func size() throws(FileSystemError) -> UInt64 { try part.size() }
    func sync() throws(FileSystemError) { try part.sync() }
    func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError) { try part.appendCheckpoint(record) }
    func checkpoints() -> [TransferRecord] { part.checkpoints() }
}
