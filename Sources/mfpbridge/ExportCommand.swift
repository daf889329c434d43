import ArgumentParser
import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit
import MFPMedia
import MFPOperations

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a machine's settings off it into a sealed bundle file.",
        discussion: """
            Batch (--all) or individual categories (--category, repeatable; R12). Refuses while the \
            machine is busy or shows an error (R5, exit 4) or while settings synchronization forbids it \
            (R11, exit 7). The bundle is sealed (R8) and, with a password, encrypted (R13); it is written \
            to FILE.part and renamed into place only once complete. The settings travel as a resumable \
            stream: a lost frame is sent again, and after a pulled cable or a killed command (exit 8) the \
            same command continues from its last checkpoint while the machine's settings are unchanged. \
            With --to-media the bundle is made on this computer, put on the stick power-safely, read \
            back from it and verified; only then does it count as a backup on the stick. \
            Categories: \
            \(SettingCategory.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Flag(name: .long, help: "Every category (batch export).")
    var all = false

    @Option(name: .long, help: ArgumentHelp("A category to export (repeat for several).", valueName: "name"))
    var category: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Protect the bundle with the password in this file's first line (R13; 1-32 ASCII characters); or set MFPBRIDGE_BUNDLE_PASSWORD.",
            valueName: "file"))
    var passwordFile: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The bundle file to write.", valueName: "file"))
    var output: String?

    @OptionGroup var media: ToMediaOptions

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard all != !category.isEmpty else { throw ValidationError("choose --all or one or more --category NAME") }
        guard (output != nil) != media.requested else { throw ValidationError("give -o FILE or --to-media [STICK] (one of them)") }
    }

    func run() throws {
        let selections =
            try all
            ? SettingCategory.allCases.filter { $0 != .boxDocuments }.map { CategorySelection($0) }
            : parseSelections(category)
        let bundlePassword = try Secret.bundlePassword(file: passwordFile)
        let context = CommandContext.make(outputOptions, label: "export")
        // The stick is opened first: no stick, or a read-only one, fails before the machine is touched.
        let destination = try media.requested ? MediaDestination.forOperation(media.name, create: true, events: context.events) : nil
        // A failure leaves the stick as it was found (a mount made here undone); after finish() a no-op.
        defer { destination?.abandon() }
        let output =
            try destination != nil ? MediaTransfer.outgoingPath(context.workspace, address: device.device, box: false) : self.output!
        let options = PendingOptions(categories: category, all: all, bundlePasswordFile: passwordFile.map(OperationLog.absolute))
        let export = SettingsExport(
            target: device.target(user: login.user, passwordFile: login.adminPasswordFile),
            selections: selections, output: output, bundlePassword: bundlePassword, options: options,
            arguments: rerunArguments)
        let result = try export.run(context)
        var file = output
        var afterwards: String?
        if let destination {
            let written = try MediaTransfer.publish(
                output, origin: result.origin, box: false, to: destination,
                verify: { _ = try BundleFile.read(path: $0, password: bundlePassword) }, events: context.events)
            file = written.path
            afterwards = try destination.finishOperation()
        }
        if outputOptions.json {
            Output.json(
                ExportReport(
                    file: file, model: result.origin.model, serialNumber: result.origin.serialNumber,
                    language: result.origin.language, protected: bundlePassword != nil,
                    categories: Dictionary(uniqueKeysWithValues: result.counts.map { ($0.key.rawValue, $0.value) }),
                    resumedFrom: result.resumedFrom, damagedFrames: result.damagedFrames))
        } else {
            let resumed = result.resumedFrom > 0 ? ", resumed at byte \(result.resumedFrom)" : ""
            Output.line(
                "Exported from \(result.origin.model) (\(result.origin.serialNumber)) to \(file)\(destination != nil ? " (read back from the stick and verified)" : "")\(bundlePassword != nil ? ", password-protected" : "")\(resumed):"
            )
            for (category, count) in result.counts.sorted(by: { $0.key < $1.key }) {
                Output.line("  \(category.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)) \(count) items")
            }
            if let afterwards { Output.line(afterwards) }
            if result.damagedFrames > 0 {
                Output.line(
                    "The line damaged \(result.damagedFrames) frame(s) on the way; they were sent again. Check the cable if this keeps happening."
                )
            }
        }
    }

    /// How `resume --list` shows it (never a password).
    private var rerunArguments: [String] {
        device.rerunArguments(
            "export",
            (all ? ["--all"] : category.flatMap { ["--category", $0] })
                + (passwordFile.map { ["--password-file", OperationLog.absolute($0)] } ?? [])
                + (media.requested ? ["--to-media", media.stick ?? ""] : ["-o", OperationLog.absolute(output ?? "")]),
            user: login.user, passwordFile: login.adminPasswordFile)
    }

    struct ExportReport: Encodable {
        var file: String
        var model: String
        var serialNumber: String
        var language: String
        var protected: Bool
        var categories: [String: Int]
        /// The byte the transfer continued from (0: it started afresh).
        var resumedFrom: UInt64
        var damagedFrames: Int
    }
}
