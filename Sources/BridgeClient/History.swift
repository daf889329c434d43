import BridgeTransfer
import Foundation
import GRDB

/// Every export, import and rollback: who (the administrator's user name, never a password),
/// when, what, the outcome, and where the bundle and snapshot are. Kept in `DATA/history.sqlite`.
public struct HistoryEntry: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "operation"

    public var id: Int64?
    public var startedAt: Date
    public var finishedAt: Date
    public var operation: String
    public var device: String
    public var deviceSerial: String?
    public var model: String?
    public var user: String
    public var categories: String
    public var outcome: String
    public var exitCode: Int32
    public var message: String
    public var bundlePath: String?
    public var snapshotPath: String?

    public init(
        startedAt: Date, finishedAt: Date, operation: String, device: String, deviceSerial: String?, model: String?,
        user: String, categories: String, outcome: String, exitCode: Int32, message: String,
        bundlePath: String?, snapshotPath: String?
    ) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.operation = operation
        self.device = device
        self.deviceSerial = deviceSerial
        self.model = model
        self.user = user
        self.categories = categories
        self.outcome = outcome
        self.exitCode = exitCode
        self.message = message
        self.bundlePath = bundlePath
        self.snapshotPath = snapshotPath
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

public final class History: Sendable {
    private let database: DatabaseQueue
    private let path: String

    /// What a caller does with the history, for its messages ("cannot read the history: ...").
    public enum Purpose: String, Sendable {
        case read, record
    }

    public init(path: String, purpose: Purpose = .record) throws(BridgeError) {
        self.path = path
        do {
            // Mode 0600 before SQLite opens it: it names machines, users and files.
            try PrivateFile.prepareDatabase(path)
        } catch {
            throw BridgeError(.failure, "cannot \(purpose.rawValue) the history: \(error)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Self.explain(error, path: path, purpose: purpose)
        }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: HistoryEntry.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("startedAt", .datetime).notNull()
                table.column("finishedAt", .datetime).notNull()
                table.column("operation", .text).notNull()
                table.column("device", .text).notNull()
                table.column("deviceSerial", .text)
                table.column("model", .text)
                table.column("user", .text).notNull()
                table.column("categories", .text).notNull()
                table.column("outcome", .text).notNull()
                table.column("exitCode", .integer).notNull()
                table.column("message", .text).notNull()
                table.column("bundlePath", .text)
                table.column("snapshotPath", .text)
            }
        }
        do {
            try migrator.migrate(database)
        } catch {
            throw Self.explain(error, path: path, purpose: purpose)
        }
    }

    public static func open(dataDirectory: String, purpose: Purpose = .record) throws(BridgeError) -> History {
        do {
            try DurableFile.makeDirectory(dataDirectory)
        } catch {
            throw BridgeError(.failure, "cannot \(purpose.rawValue) the history: \(error)")
        }
        return try History(path: dataDirectory + "/history.sqlite", purpose: purpose)
    }

    @discardableResult
    public func record(_ entry: HistoryEntry) throws(BridgeError) -> HistoryEntry {
        // Returns the entry with its row id.
        do {
            return try database.write { db in try entry.inserted(db) }
        } catch {
            throw Self.explain(error, path: path, purpose: .record)
        }
    }

    /// Newest first.
    public func entries(limit: Int = 50) throws(BridgeError) -> [HistoryEntry] {
        do {
            return try database.read { db in
                try HistoryEntry.order(Column("id").desc).limit(limit).fetchAll(db)
            }
        } catch {
            throw Self.explain(error, path: path, purpose: .read)
        }
    }

    /// The newest successful snapshot taken of a device, for `rollback`.
    public func lastSnapshot(deviceSerial: String) throws(BridgeError) -> HistoryEntry? {
        do {
            return try database.read { db in
                try HistoryEntry
                    .filter(Column("deviceSerial") == deviceSerial && Column("snapshotPath") != nil && Column("operation") == "import")
                    .order(Column("id").desc).fetchOne(db)
            }
        } catch {
            throw Self.explain(error, path: path, purpose: .read)
        }
    }

    /// What an SQLite failure on the history means and what to do, instead of "SQLite error 13".
    static func explain(_ error: any Error, path: String, purpose: Purpose) -> BridgeError {
        let doing = "cannot \(purpose.rawValue) the history"
        guard let error = error as? DatabaseError else {
            return BridgeError(.failure, "\(doing) \(path): \(error)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let reason: String =
            switch error.resultCode {
            case .SQLITE_FULL:
                "the disk holding \(folder) is full (SQLITE_FULL): free some space"
            case .SQLITE_READONLY, .SQLITE_PERM:
                "\(path) is read-only (\(error.resultCode == .SQLITE_PERM ? "SQLITE_PERM" : "SQLITE_READONLY")): set MFPBRIDGE_DATA_DIR to a writable folder, or fix the file's owner and permissions"
            case .SQLITE_CANTOPEN:
                "cannot open \(path) (SQLITE_CANTOPEN): check that \(folder) exists and is writable, or set MFPBRIDGE_DATA_DIR to a writable folder"
            case .SQLITE_IOERR:
                "the disk failed while reading or writing \(path) (SQLITE_IOERR): check the disk (dmesg) and run the command again"
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                "\(path) is damaged (\(error.resultCode == .SQLITE_NOTADB ? "SQLITE_NOTADB" : "SQLITE_CORRUPT")): move it away; the next command starts a new history"
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                "\(path) is locked by another mfpbridge command (SQLITE_BUSY): run the command again when it has finished"
            default:
                "\(path): SQLite error \(error.extendedResultCode.rawValue) (\(error.message ?? "no message"))"
            }
        return BridgeError(.failure, "\(doing): \(reason)")
    }
}
