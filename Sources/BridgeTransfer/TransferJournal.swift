/// The sending side's memory of what the receiver made durable: one ``TransferRecord`` per
/// checkpoint the receiver acknowledged (and whose hash the sender checked against its own chain).
///
/// Like SQLite's WAL, replay keeps the records before the first torn or damaged one; the file is
/// cut there when opened, and every append is fsynced before it returns. One journal may hold
/// several transfers, told apart by their transfer id.
public final class TransferJournal: Sendable {
    public var path: String { file.path }
    private let file: RecordFile

    private init(file: RecordFile) {
        self.file = file
    }

    /// Opens (or creates) the journal at `path` and replays it.
    public static func open(path: String) throws(FileSystemError) -> TransferJournal {
        TransferJournal(file: try RecordFile(path: path))
    }

    /// Every intact record, oldest first.
    public var records: [TransferRecord] { file.records }

    /// The intact records of one transfer, oldest first.
    public func records(for transferID: UInt64) -> [TransferRecord] {
        file.records.filter { $0.transferID == transferID }
    }

    /// Bytes of a torn or damaged tail that replay dropped when the journal was opened.
    public var discardedBytes: Int { file.discardedBytes }

    /// Appends and fsyncs one record.
    public func append(_ record: TransferRecord) throws(FileSystemError) {
        try file.append(record)
    }

    /// Closes the file; later appends throw.
    public func close() {
        file.close()
    }
}
