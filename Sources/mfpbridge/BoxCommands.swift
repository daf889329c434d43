import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Foundation
import MFPBundle
import MFPKit

struct BoxBackup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "box-backup",
        abstract: "Back up a machine's Advanced Box / Mail Box documents (gigabytes), resumably.",
        discussion: """
        Streams the documents into FILE.part with durable checkpoints; the file appears under its \
        name, sealed with a trailer (R8), only once complete. After a pulled cable, a power cut or a \
        killed process (exit 8), run the same command again, or `mfpbridge resume`: it continues from \
        the last checkpoint both sides agree on, never from a corrupt file.
        """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The backup file to write.", valueName: "file"))
    var output: String

    @OptionGroup var waiting: WaitOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        try waiting.retrying { try attempt() }
    }

    private func attempt() throws {
        let started = Date()
        var pending = try Pending.begin("box-backup", device: device, files: [output], arguments: ["-o", Pending.absolute(output), "--user", login.user],
                                        passwordFile: login.adminPasswordFile)
        let connection: DeviceConnection
        do {
            connection = try DeviceConnection.open(device, login: login, logger: outputOptions.makeLogger("mfpbridge.box-backup"))
        } catch {
            Pending.store.end(pending, error: error, keepsPartialWork: PartFile.existingSize(path: output) > 0)
            throw error
        }
        defer { connection.close() }
        do {
            // Once it reached a machine, the backup continues on that machine only.
            try Pending.store.bind(&pending, to: connection.session)
        } catch {
            Pending.store.end(pending, error: error, keepsPartialWork: PartFile.existingSize(path: output) > 0)
            throw error
        }
        Progress.doNotPowerOff("Box backup")
        do {
            let result = try BoxOperations.backup(session: connection.session, output: output)
            Pending.store.finish(pending)
            HistoryLog.record(operation: "box-backup", device: device.device, session: connection.session, user: login.user,
                              selections: [CategorySelection(.boxDocuments)], started: started, error: nil, bundle: output, snapshot: nil)
            if outputOptions.json {
                Output.json(["file": output, "bytes": "\(result.size)", "documents": "\(result.documents)",
                             "resumedFrom": "\(result.resumedFrom)"])
            } else {
                let resumed = result.resumedFrom > 0 ? ", resumed at byte \(result.resumedFrom)" : ""
                Output.line("Backed up \(result.documents) box documents (\(result.size) bytes) from \(result.origin.model) to \(output)\(resumed).")
            }
        } catch {
            // A part file left behind stays listed by `mfpbridge resume --list`, never invisible.
            Pending.store.end(pending, error: error, keepsPartialWork: PartFile.existingSize(path: output) > 0)
            HistoryLog.record(operation: "box-backup", device: device.device, session: connection.session, user: login.user,
                              selections: [CategorySelection(.boxDocuments)], started: started, error: error, bundle: output, snapshot: nil)
            throw error
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
        interruption (exit 8), run the same command again or `mfpbridge resume`.
        """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Argument(help: ArgumentHelp("The box backup file.", valueName: "file"))
    var file: String

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var yes = false

    @OptionGroup var waiting: WaitOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        // Every field used below (origin, size, documents) is read only once the file verified (R8).
        let (trailer, payload) = try BoxBackupFile.verify(path: file)
        var confirmed = yes
        try waiting.retrying {
            try attempt(trailer: trailer, payload: payload, confirmed: confirmed)
            confirmed = true
        }
    }

    private func attempt(trailer: BoxBackupFile.Verified, payload: any StreamSource, confirmed yes: Bool) throws {
        let started = Date()
        let connection = try DeviceConnection.open(device, login: login, logger: outputOptions.makeLogger("mfpbridge.box-restore"))
        defer { connection.close() }
        var pending = try Pending.begin("box-restore", device: device, files: [file], arguments: [Pending.absolute(file), "--yes", "--user", login.user],
                                        passwordFile: login.adminPasswordFile)
        let status: DeviceStatus
        do {
            // Once it reached a machine, the restore continues on that machine only.
            try Pending.store.bind(&pending, to: connection.session)
            status = try checked(trailer, on: connection, confirmed: yes)
        } catch {
            Pending.store.end(pending, error: error)
            throw error
        }
        Progress.doNotPowerOff("Box restore")
        let serial = connection.session.device?.serialNumber ?? "unknown"
        let journal = "\(DataDirectory.path())/journals/\(serial).box-restore.journal"
        try? FileManager.default.createDirectory(atPath: DataDirectory.path() + "/journals", withIntermediateDirectories: true)
        do {
            let outcome = try BoxOperations.restore(session: connection.session, payload: payload, chain: trailer.chain,
                                                    sealedTrailer: trailer.sealedTrailer, journalPath: journal)
            Pending.store.finish(pending)
            HistoryLog.record(operation: "box-restore", device: device.device, session: connection.session, user: login.user,
                              selections: [CategorySelection(.boxDocuments)], started: started, error: nil, bundle: file, snapshot: nil)
            switch outcome {
            case let .applied(result):
                let resumed = result.resumedFrom > 0 ? ", resumed at byte \(result.resumedFrom)" : ""
                Output.line("Restored \(trailer.documents) box documents (\(trailer.payloadSize) bytes) onto \(status.model)\(resumed).")
            case let .alreadyApplied(at):
                Output.line("The machine already holds exactly these \(trailer.documents) box documents"
                    + (at.map { " (applied \($0.formatted(.iso8601)))" } ?? "") + ": nothing was sent again.")
            }
        } catch {
            Pending.store.end(pending, error: error)
            HistoryLog.record(operation: "box-restore", device: device.device, session: connection.session, user: login.user,
                              selections: [CategorySelection(.boxDocuments)], started: started, error: error, bundle: file, snapshot: nil)
            throw error
        }
    }

    /// R7 and R9 for the box documents, as for settings, and the operator's yes.
    private func checked(_ trailer: BoxBackupFile.Verified, on connection: DeviceConnection, confirmed yes: Bool) throws -> DeviceStatus {
        let status = try connection.session.status()
        guard trailer.origin.language == status.language else {
            throw BridgeError(.incompatible, "R7: the box backup was made on a machine in \(trailer.origin.language), this machine displays \(status.language)")
        }
        let capabilities = try connection.session.capabilities()
        let travel = capabilities.categoryClasses[.boxDocuments] ?? .no
        guard ImportPlanner.allows(travel, from: trailer.origin, to: capabilities) else {
            throw BridgeError(.incompatible, "R9: box documents are class \(travel.rawValue) and do not import from \(trailer.origin.model) into \(capabilities.model)")
        }
        if !yes {
            guard Syscall.isTerminal(STDIN_FILENO) else {
                throw BridgeError(.usage, "box-restore replaces every box document on the machine: confirm with --yes")
            }
            FileHandle.standardError.write(Data("Replace the machine's box documents with \(trailer.documents) documents (\(trailer.payloadSize) bytes)? [y/N] ".utf8))
            guard ["y", "yes"].contains(readLine()?.lowercased() ?? "") else { throw BridgeError(.failure, "not confirmed; nothing was changed") }
        }
        return status
    }
}
