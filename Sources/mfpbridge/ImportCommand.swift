import ArgumentParser
import BridgeClient
import BridgeSystem
import Foundation
import MFPKit

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a bundle's settings on a machine, safely.",
        discussion: """
        The bundle is verified before the machine is touched (R8, R13: exit 6). Then the machine's \
        state (R5: exit 4) and compatibility (R7 display language, R9 model classes and capacities, \
        R10 security-policy password, R11 settings sync: exit 7) are checked, and a report shows what \
        will be overwritten, added, removed and skipped, and why (R2). After confirmation (or --yes), \
        what is about to be overwritten is saved as a snapshot (`mfpbridge rollback` restores it), \
        and the machine stages the import and applies it in one atomic step (R3). The settings travel \
        as a resumable stream: after a pulled cable or a killed command (exit 8; nothing is applied) \
        the same command continues from the machine's last checkpoint.
        """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Argument(help: ArgumentHelp("The bundle to import.", valueName: "file"))
    var file: String

    @Option(name: .long, help: ArgumentHelp("Import only this category (repeatable); user-group-address-lists:05 for one list.", valueName: "name"))
    var category: [String] = []

    @Option(name: .long, help: ArgumentHelp("The bundle's password, in this file's first line (R13); or set MFPBRIDGE_BUNDLE_PASSWORD.", valueName: "file"))
    var passwordFile: String?

    @Flag(name: .long, help: "Report what would change, change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Do not ask for confirmation (for scripts).")
    var yes = false

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let selections = try category.isEmpty ? nil : parseSelections(category)
        let bundle = try MFPBundleCodec().read(path: file, password: try Secret.bundlePassword(file: passwordFile))
        let again = [Pending.absolute(file)] + category.flatMap { ["--category", $0] }
            + (passwordFile.map { ["--password-file", Pending.absolute($0)] } ?? []) + (yes ? ["--yes"] : []) + ["--user", login.user]
        try ImportRun(device: device, login: login, output: outputOptions, dryRun: dryRun, yes: yes, operation: "import")
            .run(bundle: bundle, bundlePath: file, selections: selections, rerunArguments: again)
    }
}

/// The import steps shared by `import` and `rollback`.
struct ImportRun {
    var device: DeviceOptions
    var login: AdminLoginOptions
    var output: OutputOptions
    var dryRun: Bool
    var yes: Bool
    var operation: String

    /// - Parameter rerunArguments: how `mfpbridge resume` runs it again (nil: not remembered, as
    ///   for a rollback, which is run again by hand).
    func run(bundle: (origin: BundleOrigin, snapshot: SettingsSnapshot), bundlePath: String,
             selections: [CategorySelection]?, rerunArguments: [String]? = nil) throws {
        let started = Date()
        let logger = output.makeLogger("mfpbridge.\(operation)")
        // The snapshot and the stream's checkpoints go to the data folder: check it before the machine.
        if !dryRun { try DataFolder.requireWritable(Pending.folder, Snapshots.folder) }
        var pending: PendingOperation?
        if let rerunArguments, !dryRun {
            pending = try Pending.begin(operation, device: device, files: [bundlePath], arguments: rerunArguments,
                                        passwordFile: login.adminPasswordFile)
        }
        let connection: DeviceConnection
        do {
            connection = try DeviceConnection.open(device, login: login, logger: logger)
        } catch {
            if let pending { Pending.store.end(pending, error: error) }
            throw error
        }
        defer { connection.close() }
        if var record = pending {
            do {
                // Once it reached a machine, the import continues on that machine only.
                try Pending.store.bind(&record, to: connection.session)
                pending = record
                if try settledEarlier(record, connection: connection, started: started, bundlePath: bundlePath) { return }
            } catch {
                Pending.store.end(record, error: error)
                throw error
            }
        }
        let importing = try ImportOperation(session: connection.session, bundle: bundle, selections: selections,
                                            pendingFolder: Pending.folder)
        defer { importing.finish() }
        var snapshotPath: String?
        do {
            let plan = try importing.prepare()
            if dryRun {
                ImportReport.print(plan, title: "Dry run: nothing was changed. The import would:", json: output.json, snapshot: nil)
                return
            }
            if !output.json { ImportReport.print(plan, title: "The import will:", json: false, snapshot: nil) }
            try confirm(plan)
            snapshotPath = try saveSnapshot(importing)
            Progress.doNotPowerOff("Import")
            let applied = try importing.apply(progress: Progress(label: operation).update) { transferID throws(BridgeError) in
                // Remembered before the machine is asked: if its answer never comes, the next run asks it.
                guard var record = pending else { return }
                record.applyAskedFor = transferID
                try Pending.store.save(record)
                pending = record
            }
            if let pending { Pending.store.finish(pending) }
            HistoryLog.record(operation: operation, device: device.device, session: connection.session, user: login.user,
                              selections: importing.selections, started: started, error: nil, bundle: bundlePath, snapshot: snapshotPath)
            ImportReport.print(applied, title: "Applied.", json: output.json, snapshot: snapshotPath, resumedFrom: importing.resumedFrom)
        } catch {
            if let pending { Pending.store.end(pending, error: error) }
            HistoryLog.record(operation: operation, device: device.device, session: connection.session, user: login.user,
                              selections: importing.selections, started: started, error: error, bundle: bundlePath, snapshot: snapshotPath)
            throw error
        }
    }

    /// An earlier run asked the machine to apply and heard nothing back: ask the machine now. True
    /// when it did apply (reported, and nothing is sent again); otherwise the import runs as usual.
    private func settledEarlier(_ record: PendingOperation, connection: DeviceConnection, started: Date,
                                bundlePath: String) throws -> Bool {
        guard let transferID = record.applyAskedFor else { return false }
        let outcome = try connection.session.transferOutcome(operation: "import", transferID: transferID)
        guard outcome.applied else {
            Output.warn("The machine did not apply the earlier, interrupted import (its answer was lost): it runs again now.")
            var cleared = record
            cleared.applyAskedFor = nil
            try Pending.store.save(cleared)
            return false
        }
        Pending.store.finish(record)
        HistoryLog.record(operation: operation, device: device.device, session: connection.session, user: login.user,
                          selections: [], started: started, error: nil, bundle: bundlePath, snapshot: nil)
        let when = outcome.at.map { " at \($0.formatted(.iso8601))" } ?? ""
        if output.json {
            Output.json(["outcome": "applied-earlier", "appliedAt": outcome.at.map { $0.formatted(.iso8601) } ?? "", "file": bundlePath])
        } else {
            Output.line("The machine had applied this import\(when); only its answer was lost. Nothing was sent again.")
        }
        return true
    }

    /// R2: an explicit yes before anything is overwritten.
    private func confirm(_ plan: ImportPlan) throws {
        guard !yes else { return }
        guard Syscall.isTerminal(STDIN_FILENO) else {
            throw BridgeError(.usage, "the import overwrites settings: confirm with --yes (or run on a terminal to be asked); see the report above")
        }
        FileHandle.standardError.write(Data("Overwrite these settings on the machine? [y/N] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            throw BridgeError(.failure, "not confirmed; nothing was changed")
        }
    }

    /// R2: what the import overwrites is saved before anything changes.
    private func saveSnapshot(_ importing: ImportOperation) throws -> String {
        guard let status = importing.status else { throw BridgeError(.failure, "no device status") }
        let origin = BundleOrigin(model: status.model, series: status.series, firmware: status.firmware,
                                  language: status.language, serialNumber: status.serialNumber)
        let path = Snapshots.newPath(serialNumber: status.serialNumber)
        try MFPBundleCodec().write(origin: origin, snapshot: importing.current, password: nil, to: path)
        return path
    }
}
