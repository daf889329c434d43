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

    public init(startedAt: Date, finishedAt: Date, operation: String, device: String, deviceSerial: String?, model: String?,
                user: String, categories: String, outcome: String, exitCode: Int32, message: String,
                bundlePath: String?, snapshotPath: String?) {
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

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        database = try DatabaseQueue(path: path, configuration: configuration)
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
        try migrator.migrate(database)
    }

    public static func open(dataDirectory: String) throws -> History {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return try History(path: dataDirectory + "/history.sqlite")
    }

    @discardableResult
    public func record(_ entry: HistoryEntry) throws -> HistoryEntry {
        // Returns the entry with its row id.
        try database.write { db in try entry.inserted(db) }
    }

    /// Newest first.
    public func entries(limit: Int = 50) throws -> [HistoryEntry] {
        try database.read { db in
            try HistoryEntry.order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// The newest successful snapshot taken of a device, for `rollback`.
    public func lastSnapshot(deviceSerial: String) throws -> HistoryEntry? {
        try database.read { db in
            try HistoryEntry
                .filter(Column("deviceSerial") == deviceSerial && Column("snapshotPath") != nil && Column("operation") == "import")
                .order(Column("id").desc).fetchOne(db)
        }
    }
}
