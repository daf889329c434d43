import BridgeClient
import BridgeTransfer
import Foundation

/// The bridge's own folder (`DataDirectory`) and what lives in it: the history, the records of
/// interrupted operations, the senders' journals, the snapshots taken before imports, and the
/// built-in emulators' state. A program passes one explicitly; the command line uses the default.
public struct Workspace: Sendable {
    public var dataDirectory: String

    public init(dataDirectory: String = DataDirectory.path()) {
        self.dataDirectory = dataDirectory
    }

    public var pending: PendingOperations { PendingOperations(folder: pendingFolder) }
    public var pendingFolder: String { dataDirectory + "/pending" }
    public var journalsFolder: String { dataDirectory + "/journals" }
    public var snapshotsFolder: String { dataDirectory + "/snapshots" }

    /// The sender's journal of a box restore to this machine (a rerun resumes from it).
    public func boxRestoreJournal(serialNumber: String) -> String {
        "\(journalsFolder)/\(Self.fileName(serialNumber)).box-restore.journal"
    }

    /// A new snapshot file of this machine, named by the time (the folder is created, 0700).
    public func newSnapshotPath(serialNumber: String, now: Date = Date()) -> String {
        let folder = "\(snapshotsFolder)/\(serialNumber)"
        try? FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withFractionalSeconds]
        return "\(folder)/\(formatter.string(from: now).replacingOccurrences(of: ":", with: "")).mfpb"
    }

    /// A serial number as a file name: letters, digits, `-_.`; anything else becomes `_`.
    static func fileName(_ serial: String) -> String {
        String(serial.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }
}
