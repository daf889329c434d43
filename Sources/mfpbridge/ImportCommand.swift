import ArgumentParser
import BridgeClient
import BridgeSystem
import Foundation
import MFPKit
import MFPOperations

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
            the same command continues from the machine's last checkpoint. With --from-media the \
            backup chosen on the stick (--pick NAME, or --latest: the newest of the machine addressed) \
            is copied to this computer first, so the stick may be pulled while the machine is written.
            """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Argument(help: ArgumentHelp("The bundle to import.", valueName: "file"))
    var file: String?

    @OptionGroup var media: FromMediaOptions

    @Option(
        name: .long,
        help: ArgumentHelp("Import only this category (repeatable); user-group-address-lists:05 for one list.", valueName: "name"))
    var category: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("The bundle's password, in this file's first line (R13); or set MFPBRIDGE_BUNDLE_PASSWORD.", valueName: "file"))
    var passwordFile: String?

    @Flag(name: .long, help: "Report what would change, change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Do not ask for confirmation (for scripts).")
    var yes = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws { try media.validate(hasFile: file != nil) }

    func run() throws {
        let selections = try category.isEmpty ? nil : parseSelections(category)
        let target = device.target(user: login.user, passwordFile: login.adminPasswordFile)
        // From a stick: the chosen backup is copied here first, so the stick may leave.
        let context = CommandContext.make(outputOptions, label: "import").askingPasswordOnce()
        let fromStick =
            try media.requested ? MediaTransfer.take(.settings, from: media.name, pick: media.pick, target: target, context: context) : nil
        let file = fromStick ?? self.file!
        let bundle = try MFPBundleCodec().read(path: file, password: try Secret.bundlePassword(file: passwordFile))
        let options = PendingOptions(categories: category, bundlePasswordFile: passwordFile.map(OperationLog.absolute), confirmed: yes)
        let arguments = device.rerunArguments(
            "import",
            [OperationLog.absolute(file)] + category.flatMap { ["--category", $0] }
                + (passwordFile.map { ["--password-file", OperationLog.absolute($0)] } ?? []) + (yes ? ["--yes"] : []),
            user: login.user, passwordFile: login.adminPasswordFile)
        let run = SettingsImport(
            target: target, bundlePath: file,
            bundle: bundle, selections: selections, dryRun: dryRun, options: options, arguments: arguments)
        try ImportRendering(output: outputOptions, yes: yes).run(run, context: context)
        if let fromStick { _ = try? Syscall.removeIfPresent(fromStick) }
    }
}

/// How `import` and `rollback` show an import: the report (R2), the question, the outcome.
struct ImportRendering {
    var output: OutputOptions
    var yes: Bool

    /// `context`: the command's own, when it already opened the machine (the password asked once).
    func run(_ run: SettingsImport, context given: OperationContext? = nil) throws {
        let context = given ?? CommandContext.make(output, label: run.operation)
        let outcome = try run.run(context) { plan in
            if !output.json {
                ImportReport.print(
                    plan, title: "The \(run.operation == "rollback" ? "rollback" : "import") will:", json: false, snapshot: nil)
            }
            try confirm()
        }
        switch outcome {
        case let .planned(plan):
            ImportReport.print(
                plan, title: "Dry run: nothing was changed. The \(run.operation == "rollback" ? "rollback" : "import") would:",
                json: output.json, snapshot: nil)
        case let .applied(plan, snapshot, resumedFrom):
            ImportReport.print(plan, title: "Applied.", json: output.json, snapshot: snapshot, resumedFrom: resumedFrom)
        case let .appliedEarlier(at):
            let when = at.map { " at \($0.formatted(.iso8601))" } ?? ""
            if output.json {
                Output.json(["outcome": "applied-earlier", "appliedAt": at.map { $0.formatted(.iso8601) } ?? "", "file": run.bundlePath])
            } else {
                Output.line("The machine had applied this import\(when); only its answer was lost. Nothing was sent again.")
            }
        }
    }

    /// R2: an explicit yes before anything is overwritten.
    func confirm() throws {
        guard !yes else { return }
        guard Syscall.isTerminal(STDIN_FILENO) else {
            throw BridgeError(
                .usage, "the import overwrites settings: confirm with --yes (or run on a terminal to be asked); see the report above")
        }
        FileHandle.standardError.write(Data("Overwrite these settings on the machine? [y/N] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            throw BridgeError(.failure, "not confirmed; nothing was changed")
        }
    }
}
