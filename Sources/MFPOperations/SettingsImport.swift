import BridgeClient
import Foundation
import MFPKit

/// Puts a bundle's settings on a machine in the order the rules ask (R2, R3, R5, R7-R11; the
/// bundle was verified by whoever read it, R8, R13): plan and report, the operator's yes, a
/// snapshot of what will be overwritten, then the machine stages and applies it in one step.
/// Also what `rollback` runs, with a snapshot as the bundle.
public struct SettingsImport: Sendable {
    /// `import` or `rollback` (the history says which).
    public var operation: String
    public var target: DeviceTarget
    public var bundlePath: String
    public var bundle: (origin: BundleOrigin, snapshot: SettingsSnapshot)
    /// nil: every category the bundle holds.
    public var selections: [CategorySelection]?
    public var dryRun: Bool
    /// Remembered to run it again; nil for an operation that is not remembered (a rollback).
    public var options: PendingOptions?
    public var arguments: [String]

    public init(
        operation: String = "import", target: DeviceTarget, bundlePath: String,
        bundle: (origin: BundleOrigin, snapshot: SettingsSnapshot), selections: [CategorySelection]?,
        dryRun: Bool = false, options: PendingOptions? = PendingOptions(), arguments: [String] = []
    ) {
        self.operation = operation
        self.target = target
        self.bundlePath = bundlePath
        self.bundle = bundle
        self.selections = selections
        self.dryRun = dryRun
        self.options = options
        self.arguments = arguments
    }

    public enum Outcome: Sendable {
        /// `dryRun`: what the import would do; nothing changed.
        case planned(ImportPlan)
        case applied(ImportPlan, snapshot: String, resumedFrom: UInt64)
        /// An earlier run asked the machine to apply and lost its answer: the machine had applied
        /// it (at that time, if it says); nothing was sent again.
        case appliedEarlier(at: Date?)
    }

    /// - Parameter confirm: called with the plan before anything is overwritten (R2); throws to
    ///   refuse (nothing changes then).
    public func run(_ context: OperationContext, confirm: (ImportPlan) throws -> Void) throws -> Outcome {
        try context.reconnect.run(events: context.events) { try attempt(context, confirm: confirm) }
    }

    private func attempt(_ context: OperationContext, confirm: (ImportPlan) throws -> Void) throws -> Outcome {
        let started = Date()
        let store = context.workspace.pending
        // The snapshot and the stream's checkpoints go to the data folder: check it before the machine.
        if !dryRun { try DataFolder.requireWritable(context.workspace.pendingFolder, context.workspace.snapshotsFolder) }
        var pending: PendingOperation?
        if let options, !dryRun {
            pending = try store.begin(
                PendingOperation(
                    operation: operation, target: target, files: [OperationLog.absolute(bundlePath)],
                    options: options, arguments: arguments))
        }
        let connection: DeviceConnection
        do {
            connection = try context.connect(target, binding: &pending)
        } catch {
            if let pending { store.end(pending, error: error) }
            throw error
        }
        defer { connection.close() }
        if let record = pending {
            do {
                if let earlier = try settledEarlier(record, connection: connection, context: context, started: started) { return earlier }
            } catch {
                store.end(record, error: error)
                throw error
            }
        }
        let importing = try ImportOperation(
            session: connection.session, bundle: bundle, selections: selections,
            pendingFolder: context.workspace.pendingFolder)
        defer { importing.finish() }
        var snapshotPath: String?
        do {
            let plan = try importing.prepare()
            if dryRun { return .planned(plan) }
            try confirm(plan)
            snapshotPath = try saveSnapshot(importing, workspace: context.workspace)
            context.events(.doNotPowerOff(operation == "rollback" ? "Rollback" : "Import"))
            let events = context.events, label = operation
            let applied = try importing.apply(
                progress: { done, total in events(.progress(label: label, done: done, total: total)) },
                beforeCommit: { transferID throws(BridgeError) in
                    // Remembered before the machine is asked: if its answer never comes, the next run asks it.
                    guard var record = pending else { return }
                    record.applyAskedFor = transferID
                    try store.save(record)
                    pending = record
                })
            if let pending { store.finish(pending) }
            context.history.record(
                operation: operation, device: target.address, session: connection.session, user: target.user,
                selections: importing.selections, started: started, error: nil, bundle: bundlePath, snapshot: snapshotPath)
            return .applied(applied, snapshot: snapshotPath ?? "", resumedFrom: importing.resumedFrom)
        } catch {
            if let pending { store.end(pending, error: error) }
            context.history.record(
                operation: operation, device: target.address, session: connection.session, user: target.user,
                selections: importing.selections, started: started, error: error, bundle: bundlePath, snapshot: snapshotPath)
            throw error
        }
    }

    /// An earlier run asked the machine to apply and heard nothing back: ask the machine now.
    /// The outcome when it did apply (nothing is sent again); nil when the import is to run as usual.
    private func settledEarlier(
        _ record: PendingOperation, connection: DeviceConnection, context: OperationContext,
        started: Date
    ) throws -> Outcome? {
        guard let transferID = record.applyAskedFor else { return nil }
        let outcome = try connection.session.transferOutcome(operation: "import", transferID: transferID)
        guard outcome.applied else {
            context.events(.notice("The machine did not apply the earlier, interrupted import (its answer was lost): it runs again now."))
            var cleared = record
            cleared.applyAskedFor = nil
            try context.workspace.pending.save(cleared)
            return nil
        }
        context.workspace.pending.finish(record)
        context.history.record(
            operation: operation, device: target.address, session: connection.session, user: target.user,
            selections: [], started: started, error: nil, bundle: bundlePath, snapshot: nil)
        return .appliedEarlier(at: outcome.at)
    }

    /// R2: what the import overwrites is saved before anything changes.
    private func saveSnapshot(_ importing: ImportOperation, workspace: Workspace) throws -> String {
        guard let status = importing.status else { throw BridgeError(.failure, "no device status") }
        let origin = BundleOrigin(
            model: status.model, series: status.series, firmware: status.firmware,
            language: status.language, serialNumber: status.serialNumber)
        let path = workspace.newSnapshotPath(serialNumber: status.serialNumber)
        try MFPBundleCodec().write(origin: origin, snapshot: importing.current, password: nil, to: path)
        return path
    }
}
