import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit

/// Restores box documents from a verified box backup: R7 and R9 checked on the host (the machine
/// checks them again itself), the operator's yes, then a resumable stream into the machine's
/// staging and one atomic switch (R3). A machine that already holds exactly these documents is
/// sent nothing.
public struct BoxRestoreRun: Sendable {
    public var target: DeviceTarget
    public var file: String
    /// From `BoxBackupFile.verify`: every field below is read only once the file verified (R8).
    public var backup: BoxBackupFile.Verified
    public var payload: any StreamSource
    public var arguments: [String]

    public init(target: DeviceTarget, file: String, backup: BoxBackupFile.Verified, payload: any StreamSource, arguments: [String] = []) {
        self.target = target
        self.file = file
        self.backup = backup
        self.payload = payload
        self.arguments = arguments
    }

    public struct Result: Sendable {
        public var outcome: BoxOperations.RestoreOutcome
        /// The machine's model.
        public var model: String
    }

    /// - Parameter confirm: called once the machine is known and the rules allow it (not again
    ///   after a reconnection); throws to refuse.
    public func run(_ context: OperationContext, confirm: (DeviceStatus) throws -> Void) throws -> Result {
        var confirmed = false
        return try context.reconnect.run(events: context.events) {
            try attempt(context) { status in
                guard !confirmed else { return }
                try confirm(status)
                confirmed = true
            }
        }
    }

    private func attempt(_ context: OperationContext, confirm: (DeviceStatus) throws -> Void) throws -> Result {
        let started = Date()
        let store = context.workspace.pending
        var pending: PendingOperation? = try store.begin(
            PendingOperation(
                operation: "box-restore", target: target, files: [OperationLog.absolute(file)],
                options: PendingOptions(confirmed: true), arguments: arguments))
        let connection: DeviceConnection
        do {
            connection = try context.connect(target, binding: &pending)
        } catch {
            if let pending { store.end(pending, error: error) }
            throw error
        }
        defer { connection.close() }
        let status: DeviceStatus
        do {
            status = try checked(connection.session)
            try confirm(status)
        } catch {
            if let pending { store.end(pending, error: error) }
            throw error
        }
        context.events(.doNotPowerOff("Box restore"))
        let serial = connection.session.device?.serialNumber ?? "unknown"
        try? FileManager.default.createDirectory(atPath: context.workspace.journalsFolder, withIntermediateDirectories: true)
        let selections = [CategorySelection(.boxDocuments)]
        do {
            let outcome = try BoxOperations.restore(
                session: connection.session, payload: payload, chain: backup.chain,
                sealedTrailer: backup.sealedTrailer,
                journalPath: context.workspace.boxRestoreJournal(serialNumber: serial))
            if let pending { store.finish(pending) }
            context.history.record(
                operation: "box-restore", device: target.address, session: connection.session, user: target.user,
                selections: selections, started: started, error: nil, bundle: file, snapshot: nil)
            return Result(outcome: outcome, model: status.model)
        } catch {
            if let pending { store.end(pending, error: error) }
            context.history.record(
                operation: "box-restore", device: target.address, session: connection.session, user: target.user,
                selections: selections, started: started, error: error, bundle: file, snapshot: nil)
            throw error
        }
    }

    /// R7 and R9 for the box documents, as for settings (the machine checks them again).
    private func checked(_ session: DeviceSession) throws -> DeviceStatus {
        let status = try session.status()
        guard backup.origin.language == status.language else {
            throw BridgeError(
                .incompatible,
                "R7: the box backup was made on a machine in \(backup.origin.language), this machine displays \(status.language)")
        }
        let capabilities = try session.capabilities()
        let travel = capabilities.categoryClasses[.boxDocuments] ?? .no
        guard ImportPlanner.allows(travel, from: backup.origin, to: capabilities) else {
            throw BridgeError(
                .incompatible,
                "R9: box documents are class \(travel.rawValue) and do not import from \(backup.origin.model) into \(capabilities.model)")
        }
        return status
    }
}
