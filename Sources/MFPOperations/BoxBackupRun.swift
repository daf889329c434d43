import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit

/// Backs up a machine's box documents into a sealed box backup file, resumably: after a cut, a
/// kill or a power loss the same run continues from the last checkpoint, on the same machine only;
/// a part file left by a local failure stays listed in the workspace's pending records.
public struct BoxBackupRun: Sendable {
    public var target: DeviceTarget
    public var output: String
    public var arguments: [String]

    public init(target: DeviceTarget, output: String, arguments: [String] = []) {
        self.target = target
        self.output = output
        self.arguments = arguments
    }

    public func run(_ context: OperationContext) throws -> BoxOperations.BackupResult {
        try context.reconnect.run(events: context.events) { try attempt(context) }
    }

    private func attempt(_ context: OperationContext) throws -> BoxOperations.BackupResult {
        let started = Date()
        let store = context.workspace.pending
        var pending: PendingOperation? = try store.begin(
            PendingOperation(operation: "box-backup", target: target, files: [OperationLog.absolute(output)], arguments: arguments))
        let keepsPart = { PartFile.existingSize(path: output) > 0 }
        let connection: DeviceConnection
        do {
            connection = try context.connect(target, binding: &pending)
        } catch {
            if let pending { store.end(pending, error: error, keepsPartialWork: keepsPart()) }
            throw error
        }
        defer { connection.close() }
        context.events(.doNotPowerOff("Box backup"))
        let selections = [CategorySelection(.boxDocuments)]
        do {
            let result = try BoxOperations.backup(session: connection.session, output: output)
            if let pending { store.finish(pending) }
            context.history.record(
                operation: "box-backup", device: target.address, session: connection.session, user: target.user,
                selections: selections, started: started, error: nil, bundle: output, snapshot: nil)
            return result
        } catch {
            // A part file left behind stays listed by `mfpbridge resume --list`, never invisible.
            if let pending { store.end(pending, error: error, keepsPartialWork: keepsPart()) }
            context.history.record(
                operation: "box-backup", device: target.address, session: connection.session, user: target.user,
                selections: selections, started: started, error: error, bundle: output, snapshot: nil)
            throw error
        }
    }
}
