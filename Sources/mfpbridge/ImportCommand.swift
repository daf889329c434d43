import ArgumentParser
import BridgeClient
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
        try ImportRun(device: device, login: login, output: outputOptions, dryRun: dryRun, yes: yes, operation: "import")
            .run(bundle: bundle, bundlePath: file, selections: selections)
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

    func run(bundle: (origin: BundleOrigin, snapshot: SettingsSnapshot), bundlePath: String,
             selections: [CategorySelection]?) throws {
        let started = Date()
        let logger = output.makeLogger("mfpbridge.\(operation)")
        // The snapshot and the stream's checkpoints go to the data folder: check it before the machine.
        if !dryRun { try DataFolder.requireWritable(PendingOperations.folder, Snapshots.folder) }
        let connection = try DeviceConnection.open(device, login: login, logger: logger)
        defer { connection.close() }
        let importing = try ImportOperation(session: connection.session, bundle: bundle, selections: selections,
                                            pendingFolder: PendingOperations.folder)
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
            let applied = try importing.apply(progress: Progress(label: operation).update)
            HistoryLog.record(operation: operation, device: device.device, session: connection.session, user: login.user,
                              selections: importing.selections, started: started, error: nil, bundle: bundlePath, snapshot: snapshotPath)
            ImportReport.print(applied, title: "Applied.", json: output.json, snapshot: snapshotPath, resumedFrom: importing.resumedFrom)
        } catch {
            HistoryLog.record(operation: operation, device: device.device, session: connection.session, user: login.user,
                              selections: importing.selections, started: started, error: error, bundle: bundlePath, snapshot: snapshotPath)
            throw error
        }
    }

    /// R2: an explicit yes before anything is overwritten.
    private func confirm(_ plan: ImportPlan) throws {
        guard !yes else { return }
        guard isatty(STDIN_FILENO) == 1 else {
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
