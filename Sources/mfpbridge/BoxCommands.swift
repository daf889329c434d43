import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Foundation
import MFPBundle
import MFPKit
import MFPMedia
import MFPOperations

struct BoxBackup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "box-backup",
        abstract: "Back up a machine's Advanced Box / Mail Box documents (gigabytes), resumably.",
        discussion: """
            Streams the documents into FILE.part with durable checkpoints; the file appears under its \
            name, sealed with a trailer (R8), only once complete. After a pulled cable, a power cut or a \
            killed process (exit 8), run the same command again, or `mfpbridge resume`: it continues from \
            the last checkpoint both sides agree on, never from a corrupt file. With --to-media the \
            backup is made on this computer (its checkpoints too), then put on the stick power-safely, \
            read back from it and verified; only then does it count as a backup on the stick.
            """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The backup file to write.", valueName: "file"))
    var output: String?

    @OptionGroup var media: ToMediaOptions

    @OptionGroup var waiting: WaitOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard (output != nil) != media.requested else { throw ValidationError("give -o FILE or --to-media [STICK] (one of them)") }
    }

    func run() throws {
        let context = CommandContext.make(outputOptions, label: "box-backup", reconnect: waiting.policy)
        let destination = try media.requested ? MediaDestination.forOperation(media.name, create: true, events: context.events) : nil
        // A failure leaves the stick as it was found (a mount made here undone); after finish() a no-op.
        defer { destination?.abandon() }
        let output =
            try destination != nil ? MediaTransfer.outgoingPath(context.workspace, address: device.device, box: true) : self.output!
        let backup = BoxBackupRun(
            target: device.target(user: login.user, passwordFile: login.adminPasswordFile), output: output,
            arguments: device.rerunArguments(
                "box-backup", media.requested ? ["--to-media", media.stick ?? ""] : ["-o", OperationLog.absolute(output)],
                user: login.user, passwordFile: login.adminPasswordFile))
        let result = try backup.run(context)
        var file = output
        var afterwards: String?
        if let destination {
            let written = try MediaTransfer.publish(
                output, origin: result.origin, box: true, to: destination, verify: { _ = try BoxBackupFile.verify(path: $0) },
                events: context.events)
            file = written.path
            afterwards = try destination.finishOperation()
        }
        if outputOptions.json {
            Output.json([
                "file": file, "bytes": "\(result.size)", "documents": "\(result.documents)", "resumedFrom": "\(result.resumedFrom)",
            ])
        } else {
            let resumed = result.resumedFrom > 0 ? ", resumed at byte \(result.resumedFrom)" : ""
            Output.line(
                "Backed up \(result.documents) box documents (\(result.size) bytes) from \(result.origin.model) to \(file)\(resumed)\(destination != nil ? " (read back from the stick and verified)" : "")."
            )
            if let afterwards { Output.line(afterwards) }
        }
    }
}

struct BoxRestore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "box-restore",
        abstract: "Restore box documents from a box backup, resumably and atomically.",
        discussion: """
            The backup is verified first (R8: exit 6) and checked against the machine (R7 display \
            language, R9 class: exit 7). The documents are streamed into the machine's durable staging \
            with checkpoints; only when all have arrived and match does the machine switch to them, in \
            one atomic step (R3): a power cut leaves the old documents or the new, never a mix. After an \
            interruption (exit 8), run the same command again or `mfpbridge resume`. With --from-media \
            the backup chosen on the stick (--pick NAME, or --latest: the newest of the machine \
            addressed) is copied to this computer first, so the stick may be pulled during the restore.
            """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Argument(help: ArgumentHelp("The box backup file.", valueName: "file"))
    var file: String?

    @OptionGroup var media: FromMediaOptions

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var yes = false

    @OptionGroup var waiting: WaitOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws { try media.validate(hasFile: file != nil) }

    func run() throws {
        let context = CommandContext.make(outputOptions, label: "box-restore", reconnect: waiting.policy).askingPasswordOnce()
        let target = device.target(user: login.user, passwordFile: login.adminPasswordFile)
        // From a stick: the chosen backup is copied here first, so the stick may leave.
        let fromStick =
            try media.requested ? MediaTransfer.take(.box, from: media.name, pick: media.pick, target: target, context: context) : nil
        let file = fromStick ?? self.file!
        // Every field used below (origin, size, documents) is read only once the file verified (R8).
        let (backup, payload) = try BoxBackupFile.verify(path: file)
        let restore = BoxRestoreRun(
            target: target, file: file,
            backup: backup, payload: payload,
            arguments: device.rerunArguments(
                "box-restore", [OperationLog.absolute(file), "--yes"], user: login.user,
                passwordFile: login.adminPasswordFile))
        let result = try restore.run(context) { _ in try confirm(backup) }
        if let fromStick { _ = try? Syscall.removeIfPresent(fromStick) }
        switch result.outcome {
        case let .applied(stream):
            let resumed = stream.resumedFrom > 0 ? ", resumed at byte \(stream.resumedFrom)" : ""
            Output.line("Restored \(backup.documents) box documents (\(backup.payloadSize) bytes) onto \(result.model)\(resumed).")
        case let .alreadyApplied(at):
            Output.line(
                "The machine already holds exactly these \(backup.documents) box documents"
                    + (at.map { " (applied \($0.formatted(.iso8601)))" } ?? "") + ": nothing was sent again.")
        }
    }

    /// The operator's yes: the restore replaces every box document on the machine.
    private func confirm(_ backup: BoxBackupFile.Verified) throws {
        guard !yes else { return }
        guard Syscall.isTerminal(STDIN_FILENO) else {
            throw BridgeError(.usage, "box-restore replaces every box document on the machine: confirm with --yes")
        }
        FileHandle.standardError.write(
            Data("Replace the machine's box documents with \(backup.documents) documents (\(backup.payloadSize) bytes)? [y/N] ".utf8))
        guard ["y", "yes"].contains(readLine()?.lowercased() ?? "") else {
            throw BridgeError(.failure, "not confirmed; nothing was changed")
        }
    }
}
