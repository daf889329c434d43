import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Foundation
import MFPOperations

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue interrupted operations, list them, or drop one.",
        discussion: """
            Every export, import, box backup and box restore that was interrupted (exit 8), lost its \
            machine (exit 3) or stopped on a local problem that left a part file is remembered in \
            DATA/pending/ with the machine it reached. `resume` runs each again, in this process, as it was \
            asked; each continues from its last checkpoint, and only on the machine it started on (another \
            machine at the same address is refused, naming both). Passwords are never remembered: the \
            administrator password comes from the password file given originally (its path is \
            remembered), MFPBRIDGE_PASSWORD, or a prompt. Settings imports ask for confirmation again \
            unless they were started with --yes. Exit status: the worst of the operations'.
            """)

    @Flag(name: .long, help: "Only list the interrupted operations (with --json: as JSON).")
    var list = false

    @Option(
        name: .long,
        help: ArgumentHelp("Drop this interrupted operation and the partial files it left (its id from --list).", valueName: "id"))
    var discard: String?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let workspace = Workspace()
        let store = workspace.pending
        if let discard {
            try drop(discard, store: store)
            return
        }
        let pending = store.list()
        if list {
            if outputOptions.json {
                Output.json(pending.map { Listed($0, workspace: workspace) })
                return
            }
            if pending.isEmpty { Output.line("Nothing to resume.") }
            for record in pending { Output.line(Listed(record, workspace: workspace).text) }
            return
        }
        if pending.isEmpty {
            Output.line("Nothing to resume.")
            return
        }
        let outputOptions = self.outputOptions
        let resumer = Resumer(
            context: CommandContext.make(outputOptions, label: "resume"),
            bundlePassword: { file in try Secret.bundlePassword(file: file) },
            confirmImport: { plan in
                ImportReport.print(plan, title: "The import will:", json: false, snapshot: nil)
                try ImportRendering(output: outputOptions, yes: false).confirm()
            })
        var worst: Int32 = 0
        for record in pending {
            Output.line("Resuming \(record.id): mfpbridge \(record.arguments.joined(separator: " "))")
            do {
                Output.line(Self.describe(try resumer.resume(record)))
            } catch let error as BridgeError {
                Output.warn("error: \(error.message)")
                for blocker in error.blockers { Output.warn("  \(blocker.rule.rawValue) \(blocker.code): \(blocker.message)") }
                worst = max(worst, error.status.rawValue)
            } catch {
                Output.warn("error: \(error)")
                worst = max(worst, ExitStatus.failure.rawValue)
            }
        }
        if worst != 0 { throw ExitCode(worst) }
    }

    static func describe(_ outcome: Resumer.Outcome) -> String {
        switch outcome {
        case let .exported(result):
            "Exported from \(result.origin.model) (\(result.origin.serialNumber))"
                + (result.resumedFrom > 0 ? ", resumed at byte \(result.resumedFrom)." : ".")
        case .imported(.planned):
            "Planned; nothing was changed."
        case let .imported(.applied(_, snapshot, resumedFrom)):
            "Applied (snapshot \(snapshot))" + (resumedFrom > 0 ? ", resumed at byte \(resumedFrom)." : ".")
        case .imported(.appliedEarlier):
            "The machine had applied this import; only its answer was lost. Nothing was sent again."
        case let .backedUp(result):
            "Backed up \(result.documents) box documents (\(result.size) bytes) from \(result.origin.model)"
                + (result.resumedFrom > 0 ? ", resumed at byte \(result.resumedFrom)." : ".")
        case let .restored(result):
            switch result.outcome {
            case let .applied(stream):
                "Restored the box documents onto \(result.model)"
                    + (stream.resumedFrom > 0 ? ", resumed at byte \(stream.resumedFrom)." : ".")
            case .alreadyApplied:
                "The machine already holds exactly these box documents: nothing was sent again."
            }
        }
    }

    private func drop(_ id: String, store: PendingOperations) throws {
        let workspace = Workspace()
        guard let record = store.load(id) else {
            throw BridgeError(.usage, "no interrupted operation \(id); `mfpbridge resume --list` shows them")
        }
        let removed = workspace.discard(record)
        Output.line(
            "Dropped \(record.operation) \(id) (\(record.address))"
                + (removed.isEmpty ? "." : "; removed \(removed.joined(separator: ", ")).")
                + (record.operation.contains("restore") || record.operation == "import"
                    ? " The machine keeps what it had; anything it received of the transfer is dropped by the next transfer." : ""))
    }

    /// One record as `--list` shows it.
    struct Listed: Encodable {
        var id: String
        var operation: String
        var address: String
        var machine: MachineIdentity?
        var files: [String]
        var partialFiles: [String: UInt64]
        var startedAt: Date
        var lastError: String?
        var outcomeUnknown: Bool
        var command: String

        init(_ record: PendingOperation, workspace: Workspace) {
            id = record.id
            operation = record.operation
            address = record.address
            machine = record.machine
            files = record.files
            var sizes: [String: UInt64] = [:]
            for path in workspace.partialFiles(of: record) {
                if let info = try? Syscall.stat(path) { sizes[path] = UInt64(info.st_size) }
            }
            partialFiles = sizes
            startedAt = record.startedAt
            lastError = record.lastError
            outcomeUnknown = record.applyAskedFor != nil
            command = "mfpbridge " + record.arguments.joined(separator: " ")
        }

        var text: String {
            var lines = [
                "\(id)  \(operation) on \(machine.map(\.description) ?? address) at \(address), since \(startedAt.formatted(.iso8601))"
            ]
            if outcomeUnknown {
                lines.append("    the machine was asked to apply it and did not answer: the next run asks it what happened")
            }
            if let lastError { lines.append("    stopped: \(lastError)") }
            for (path, size) in partialFiles.sorted(by: { $0.key < $1.key }) { lines.append("    kept: \(path) (\(size) bytes)") }
            lines.append("    run again: \(command)   or drop it: mfpbridge resume --discard \(id)")
            return lines.joined(separator: "\n")
        }
    }
}
