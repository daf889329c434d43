import BridgeTransfer
import Foundation
import GRDB
import MFPKit

/// The emulator's settings (address book, users, settings items, ...) on disk in SQLite:
/// `STATE/settings.sqlite`, one row per record.
///
/// R3 on the device side: an import is first *staged* (durably, in its own tables), then applied
/// in one transaction that replaces every staged category at once. SQLite's transaction is the
/// atomic step: a crash (kill -9, power loss) at any moment leaves the settings exactly as before
/// the apply or exactly as after it, and an unapplied staging is still there after a restart.
///
/// Journal: WAL with `synchronous = FULL`. In WAL mode a commit is the append of its frames to
/// `-wal` plus one fsync of that file; a crash before the commit frame is durable leaves the
/// transaction out entirely (recovery ignores frames after the last valid commit), and FULL makes
/// the commit durable before `applyStaged`/`stage` return, so the device never acknowledges an
/// apply that a power cut could undo (NORMAL would only sync at checkpoints). WAL also lets an
/// export read a consistent snapshot while nothing blocks on it, and a large apply costs one
/// sequential write plus one fsync, where a rollback journal first copies every old page aside
/// and fsyncs the journal, then the database, and needs `synchronous = EXTRA` (a directory sync
/// after deleting the journal) before a commit survives a power cut in DELETE mode.
/// The price is two companion files (`-wal`, `-shm`) that must stay beside the database: the
/// state folder is moved or copied as a whole, never the `.sqlite` alone while the emulator runs.
public final class SettingsStore: Sendable {
    let path: String
    /// Sendable: GRDB serializes every access to the connection.
    let database: DatabaseQueue

    /// The schema this code writes; a store written by a newer schema is refused.
    static let schemaVersion = 1

    /// Opens (creating and filling it with SettingsFixture.generate(profile:seed:) on first open) the store.
    ///
    /// A store that exists keeps its content whatever `seed` says; one that belongs to another
    /// profile is refused. The first fill is one transaction: a crash during it leaves an empty
    /// store that the next open fills again.
    public init(path: String, profile: DeviceProfile, seed: UInt64) throws {
        self.path = path
        var configuration = Configuration()
        configuration.journalMode = .wal
        // A second opener (an emulator restarting while the last one closes) waits instead of failing.
        configuration.busyMode = .timeout(10)
        configuration.label = "mfpbridge.settings"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            // Mode 0600 before SQLite opens it (its -wal and -shm get the same): the settings hold
            // the machine's users and address book.
            try PrivateFile.prepareDatabase(path)
        } catch {
            throw EmulatorError("cannot open the settings store \(path): \(error)")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw EmulatorError("cannot open the settings store \(path): \(Self.explain(error, path: path))")
        } catch {
            throw EmulatorError("cannot open the settings store \(path): \(error)")
        }
        try guarded("open") {
            try database.write { db in
                try Self.createSchema(db)
                let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'profile'")
                if let stored {
                    guard stored == profile.name else {
                        throw EmulatorError(
                            "the settings store \(path) belongs to profile \(stored), not \(profile.name); use another --state folder")
                    }
                    let version = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema'") ?? 0
                    guard version <= Self.schemaVersion else {
                        throw EmulatorError(
                            "the settings store \(path) has schema \(version), newer than this emulator's \(Self.schemaVersion); update mfpbridge"
                        )
                    }
                    return
                }
                let fixture = SettingsFixture.generate(profile: profile, seed: seed)
                for (category, records) in fixture.categories {
                    try Self.insert(records, category: category, into: "setting", token: nil, db)
                }
                for (key, value) in [("profile", profile.name), ("schema", String(Self.schemaVersion)), ("fixture-seed", String(seed))] {
                    try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
                }
            }
        }
    }

    public func snapshot(_ categories: Set<SettingCategory>) throws -> SettingsSnapshot {
        try guarded("read a snapshot") {
            // One read transaction: every category from the same instant.
            try database.read { db in
                var snapshot = SettingsSnapshot()
                for category in categories {
                    snapshot[category] = try Self.records(
                        db, sql: "SELECT id, class, fields FROM setting WHERE category = ? ORDER BY id",
                        arguments: [category.rawValue])
                }
                return snapshot
            }
        }
    }

    /// Records of every category, zero included.
    public func counts() throws -> [SettingCategory: Int] {
        try guarded("count the settings") {
            try database.read { db in
                var counts = Dictionary(uniqueKeysWithValues: SettingCategory.allCases.map { ($0, 0) })
                for row in try Row.fetchAll(db, sql: "SELECT category, COUNT(*) FROM setting GROUP BY category") {
                    if let category = SettingCategory(rawValue: row[0]) { counts[category] = row[1] }
                }
                return counts
            }
        }
    }

    /// R3: keeps an import durably staged (survives a crash) until applied or discarded; replaces any earlier staging with the same token.
    ///
    /// Refuses (before staging anything) an empty token and a category that repeats an id.
    /// `transferID` names the content; applying the staging records it as the last applied
    /// import, in the same transaction (`lastAppliedImport()`).
    public func stage(_ content: SettingsSnapshot, token: String, transferID: UInt64 = 0) throws {
        guard !token.isEmpty else { throw EmulatorError("a staged import needs a token") }
        for (category, records) in content.categories {
            var seen = Set<String>()
            for record in records where !seen.insert(record.id).inserted {
                throw EmulatorError("the import repeats id \(record.id) in \(category.displayName); nothing was staged")
            }
        }
        try guarded("stage import \(token)") {
            try database.write { db in
                try Self.dropStaging(token, db)
                try db.execute(sql: "INSERT INTO staging(token) VALUES (?)", arguments: [token])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                    arguments: ["staged-transfer " + token, String(transferID)])
                for (category, records) in content.categories {
                    try db.execute(
                        sql: "INSERT INTO staged_category(token, category) VALUES (?, ?)",
                        arguments: [token, category.rawValue])
                    try Self.insert(records, category: category, into: "staged_record", token: token, db)
                }
            }
        }
    }

    /// The tokens of the imports staged and not yet applied or discarded, sorted.
    public func stagedTokens() throws -> [String] {
        try guarded("list staged imports") {
            try database.read { db in try String.fetchAll(db, sql: "SELECT token FROM staging ORDER BY token") }
        }
    }

    /// R3: replaces, in ONE transaction, every category present in the staged content with the staged records (a category absent from the staging is untouched), then drops the staging. Afterwards the settings are exactly the old or exactly the new, whatever happens during it.
    public func applyStaged(token: String, at appliedAt: Date = Date()) throws {
        try applyStaged(token: token, at: appliedAt, beforeCategory: { _ in })
    }

    /// `applyStaged`, calling `beforeCategory` inside the transaction before each category is
    /// replaced: the tests throw from it to prove that a failure half-way leaves the old settings.
    func applyStaged(token: String, at appliedAt: Date = Date(), beforeCategory: (SettingCategory) throws -> Void) throws {
        try guarded("apply staged import \(token)") {
            try database.write { db in
                let categories = try String.fetchAll(
                    db, sql: "SELECT category FROM staged_category WHERE token = ? ORDER BY category",
                    arguments: [token])
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM staging WHERE token = ?", arguments: [token]) == true else {
                    throw EmulatorError("no staged import with token \(token)")
                }
                for raw in categories {
                    guard let category = SettingCategory(rawValue: raw) else {
                        throw EmulatorError("staged import \(token) holds an unknown category \(raw)")
                    }
                    try beforeCategory(category)
                    try db.execute(sql: "DELETE FROM setting WHERE category = ?", arguments: [raw])
                    try db.execute(
                        sql: """
                            INSERT INTO setting(category, id, class, fields)
                            SELECT category, id, class, fields FROM staged_record WHERE token = ? AND category = ?
                            """, arguments: [token, raw])
                }
                // The truth a host asks for after it lost the commit's answer: committed with the settings.
                let transfer =
                    try String.fetchOne(
                        db, sql: "SELECT value FROM meta WHERE key = ?",
                        arguments: ["staged-transfer " + token]) ?? "0"
                try db.execute(
                    sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('applied-import', ?)",
                    arguments: [transfer + " " + String(Int64(appliedAt.timeIntervalSince1970))])
                try Self.dropStaging(token, db)
            }
        }
    }

    /// The transfer id of the import applied last, and when; nil before the first import.
    public func lastAppliedImport() throws -> (transferID: UInt64, at: Date)? {
        try guarded("read the last applied import") {
            try database.read { db in
                guard let value = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'applied-import'") else { return nil }
                let words = value.split(separator: " ")
                guard words.count == 2, let id = UInt64(words[0]), let seconds = Int64(words[1]) else { return nil }
                return (id, Date(timeIntervalSince1970: TimeInterval(seconds)))
            }
        }
    }

    public func discardStaged(token: String) throws {
        try guarded("discard staged import \(token)") {
            try database.write { db in try Self.dropStaging(token, db) }
        }
    }

    /// The canonical digest (CanonicalContent.digest) of each category's current content.
    public func digests() throws -> [SettingCategory: String] {
        let snapshot = try snapshot(Set(SettingCategory.allCases))
        return Dictionary(uniqueKeysWithValues: SettingCategory.allCases.map { ($0, CanonicalContent.digest(snapshot[$0])) })
    }
}

// MARK: - Schema and rows

extension SettingsStore {
    /// `setting` is clustered on (category, id) (WITHOUT ROWID): a category is one range scan.
    /// Staged records have the same shape, keyed by token first.
    static func createSchema(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS setting(
                    category TEXT NOT NULL,
                    id TEXT NOT NULL,
                    class TEXT CHECK (class IN ('A', 'B', 'C', 'No')),
                    fields TEXT NOT NULL CHECK (json_valid(fields)),
                    PRIMARY KEY (category, id)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS staging(token TEXT PRIMARY KEY NOT NULL);
                CREATE TABLE IF NOT EXISTS staged_category(
                    token TEXT NOT NULL REFERENCES staging(token),
                    category TEXT NOT NULL,
                    PRIMARY KEY (token, category)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS staged_record(
                    token TEXT NOT NULL,
                    category TEXT NOT NULL,
                    id TEXT NOT NULL,
                    class TEXT,
                    fields TEXT NOT NULL,
                    PRIMARY KEY (token, category, id)
                ) WITHOUT ROWID;
                """)
    }

    static func dropStaging(_ token: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM staged_record WHERE token = ?", arguments: [token])
        try db.execute(sql: "DELETE FROM staged_category WHERE token = ?", arguments: [token])
        try db.execute(sql: "DELETE FROM staging WHERE token = ?", arguments: [token])
        try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: ["staged-transfer " + token])
    }

    /// Inserts records into `setting` (token nil) or `staged_record`.
    static func insert(_ records: [SettingRecord], category: SettingCategory, into table: String, token: String?, _ db: Database) throws {
        let statement =
            token == nil
            ? try db.cachedStatement(sql: "INSERT INTO setting(category, id, class, fields) VALUES (?, ?, ?, ?)")
            : try db.cachedStatement(sql: "INSERT INTO staged_record(token, category, id, class, fields) VALUES (?, ?, ?, ?, ?)")
        for record in records {
            let fields = encodeFields(record.fields)
            if let token {
                try statement.execute(arguments: [token, category.rawValue, record.id, record.crossModelClass?.rawValue, fields])
            } else {
                try statement.execute(arguments: [category.rawValue, record.id, record.crossModelClass?.rawValue, fields])
            }
        }
    }

    static func records(_ db: Database, sql: String, arguments: StatementArguments) throws -> [SettingRecord] {
        var records: [SettingRecord] = []
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let id: String = row[0]
            let rawClass: String? = row[1]
            let json: String = row[2]
            var crossModelClass: CrossModelClass?
            if let rawClass {
                guard let known = CrossModelClass(rawValue: rawClass) else {
                    throw EmulatorError("record \(id) has an unknown class \(rawClass)")
                }
                crossModelClass = known
            }
            records.append(SettingRecord(id: id, fields: try decodeFields(json, id: id), crossModelClass: crossModelClass))
        }
        // The canonical order (Swift's String order, which SQLite's byte order matches only for ASCII).
        records.sort { $0.id < $1.id }
        return records
    }

    /// Fields as canonical JSON: sorted keys, slashes unescaped (as in CanonicalContent).
    static func encodeFields(_ fields: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a dictionary of strings cannot fail.
        return String(decoding: try! encoder.encode(fields), as: UTF8.self)
    }

    static func decodeFields(_ json: String, id: String) throws -> [String: String] {
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw EmulatorError("record \(id) has unreadable fields: \(error)")
        }
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound file (the crash tests ask).
    func integrityCheck() throws -> [String] {
        try guarded("check integrity") {
            try database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        }
    }

    /// Runs `body`, turning SQLite errors into an `EmulatorError` that names the store and the step;
    /// other errors (the store's own `EmulatorError`s, a test's injected fault) pass unchanged.
    func guarded<T>(_ step: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw EmulatorError("settings store \(path): cannot \(step): \(Self.explain(error, path: path))")
        }
    }

    /// What an SQLite failure means for the state folder, and what to do, rather than "SQLite error 13".
    static func explain(_ error: DatabaseError, path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return switch error.resultCode {
        case .SQLITE_FULL: "the disk holding \(folder) is full (SQLITE_FULL): free some space"
        case .SQLITE_READONLY: "\(path) is read-only (SQLITE_READONLY): give the emulator a writable --state folder"
        case .SQLITE_CANTOPEN: "cannot open it (SQLITE_CANTOPEN): check that \(folder) exists and is writable"
        case .SQLITE_IOERR: "the disk failed while reading or writing it (SQLITE_IOERR): check the disk (dmesg)"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: "it is damaged (SQLITE_CORRUPT): move the state folder away to start from factory settings"
        default: "\(error)"
        }
    }
}
