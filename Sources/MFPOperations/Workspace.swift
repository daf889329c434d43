import BridgeClient
import BridgeSystem
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
        "\(journalsFolder)/\(machineFileName(serialNumber)).box-restore.journal"
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

    /// The files an interrupted operation leaves to be continued: a box backup's part and
    /// checkpoints, a box restore's journal, a settings export's received stream.
    public func partialFiles(of record: PendingOperation) -> [String] {
        let serial = record.machine?.serialNumber
        switch record.operation {
        case "box-backup":
            return record.files.flatMap { [$0 + ".part", $0 + ".part.ckpt"] }
        case "box-restore":
            return serial.map { [boxRestoreJournal(serialNumber: $0)] } ?? []
        case "export":
            return serial.map { DeviceSession.settingsExportPath(folder: pendingFolder, serialNumber: $0) }
                .map { [$0 + ".part", $0 + ".part.ckpt"] } ?? []
        default:
            return []
        }
    }

    /// Drops an interrupted operation: its record and the partial files it left. Returns the files removed.
    public func discard(_ record: PendingOperation) -> [String] {
        let removed = partialFiles(of: record).filter { (try? Syscall.removeIfPresent($0)) == true }
        pending.finish(record)
        return removed
    }
}
