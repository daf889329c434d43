import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit

/// Takes a machine's settings into a sealed bundle file (R5, R8, R11, R12, R13), resumably: an
/// interruption is remembered in the workspace and the same run again continues it, on the same
/// machine only.
public struct SettingsExport: Sendable {
    public var target: DeviceTarget
    public var selections: [CategorySelection]
    public var output: String
    /// The bundle password (R13), or nil for a bundle sealed without one.
    public var bundlePassword: String?
    /// What is remembered to run it again (never a password).
    public var options: PendingOptions
    /// The command line shown by `resume --list`.
    public var arguments: [String]

    public init(
        target: DeviceTarget, selections: [CategorySelection], output: String, bundlePassword: String?,
        options: PendingOptions = PendingOptions(), arguments: [String] = []
    ) {
        self.target = target
        self.selections = selections
        self.output = output
        self.bundlePassword = bundlePassword
        self.options = options
        self.arguments = arguments
    }

    public func run(_ context: OperationContext) throws -> ExportOperation.Result {
        try context.reconnect.run(events: context.events) { try attempt(context) }
    }

    private func attempt(_ context: OperationContext) throws -> ExportOperation.Result {
        let started = Date()
        // The stream is kept in the data folder: a read-only one fails now, not mid-transfer.
        try DataFolder.requireWritable(context.workspace.pendingFolder)
        var pending: PendingOperation? = try context.workspace.pending.begin(
            PendingOperation(
                operation: "export", target: target, files: [OperationLog.absolute(output)], options: options, arguments: arguments))
        let connection: DeviceConnection
        do {
            connection = try context.connect(target, binding: &pending)
        } catch {
            if let pending { context.workspace.pending.end(pending, error: error) }
            throw error
        }
        defer { connection.close() }
        context.events(.doNotPowerOff("Export"))
        let operation = ExportOperation(
            selections: selections, outputPath: output, password: bundlePassword,
            pendingFolder: context.workspace.pendingFolder)
        let events = context.events
        do {
            let result = try operation.run(session: connection.session, codec: MFPBundleCodec()) { done, total in
                events(.progress(label: "export", done: done, total: total))
            }
            if let pending { context.workspace.pending.finish(pending) }
            context.history.record(
                operation: "export", device: target.address, session: connection.session, user: target.user,
                selections: selections, started: started, error: nil, bundle: output, snapshot: nil)
            return result
        } catch {
            if let pending { context.workspace.pending.end(pending, error: error) }
            context.history.record(
                operation: "export", device: target.address, session: connection.session, user: target.user,
                selections: selections, started: started, error: error, bundle: nil, snapshot: nil)
            throw error
        }
    }
}
