import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Foundation

/// The interrupted operations of this data folder (`DATA/pending/`).
enum Pending {
    static var store: PendingOperations { PendingOperations() }
    /// Where settings exports keep their received stream until it checked out (one per machine).
    static var folder: String { store.folder }

    /// The record of an operation about to run (an earlier run's, with the machine it reached, if
    /// there is one). `arguments` run it again; never a password.
    static func begin(_ operation: String, device: DeviceOptions, files: [String], arguments: [String],
                      passwordFile: String?) throws -> PendingOperation {
        var again = [operation, "--device", device.device] + arguments + (device.profiles.map { ["--profiles", absolute($0)] } ?? [])
        // The path of the password file the user gave, never the password: resume needs no
        // password in the environment.
        if let passwordFile, let info = try? Syscall.stat(passwordFile), info.st_mode & S_IFMT == S_IFREG {
            again += ["--admin-password-file", absolute(passwordFile)]
        }
        return try store.begin(PendingOperation(operation: operation, address: device.device, files: files.map(absolute), arguments: again))
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardized.path
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue interrupted operations, list them, or drop one.",
        discussion: """
        Every export, import, box backup and box restore that was interrupted (exit 8), lost its \
        machine (exit 3) or stopped on a local problem that left a part file is remembered in \
        DATA/pending/ with the machine it reached. `resume` runs each again with its own arguments; \
        each continues from its last checkpoint, and only on the machine it started on (another \
        machine at the same address is refused, naming both). Passwords are never remembered: the \
        administrator password comes from the password file given originally (its path is \
        remembered), MFPBRIDGE_PASSWORD, or a prompt. Settings imports ask for confirmation again \
        unless they were started with --yes. Exit status: the worst of the operations'.
        """)

    @Flag(name: .long, help: "Only list the interrupted operations (with --json: as JSON).")
    var list = false

    @Option(name: .long, help: ArgumentHelp("Drop this interrupted operation and the partial files it left (its id from --list).", valueName: "id"))
    var discard: String?

    @Flag(name: .long, help: "With --list: print JSON.")
    var json = false

    func run() throws {
        let store = Pending.store
        if let discard {
            try drop(discard, store: store)
            return
        }
        let pending = store.list()
        if list {
            if json {
                Output.json(pending.map(Listed.init))
                return
            }
            if pending.isEmpty { Output.line("Nothing to resume.") }
            for record in pending { Output.line(Listed(record).text) }
            return
        }
        if pending.isEmpty {
            Output.line("Nothing to resume.")
            return
        }
        var worst: Int32 = 0
        for record in pending {
            Output.line("Resuming \(record.id): mfpbridge \(record.arguments.joined(separator: " "))")
            // In our own process group, so that a rerun without a password file can prompt on the terminal.
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            worst = max(worst, try ForegroundProcess.run(executable, arguments: record.arguments))
        }
        if worst != 0 { throw ExitCode(worst) }
    }

    private func drop(_ id: String, store: PendingOperations) throws {
        guard let record = store.load(id) else {
            throw BridgeError(.usage, "no interrupted operation \(id); `mfpbridge resume --list` shows them")
        }
        var removed: [String] = []
        for path in Listed.partialFiles(of: record) where (try? Syscall.removeIfPresent(path)) == true {
            removed.append(path)
        }
        store.finish(record)
        Output.line("Dropped \(record.operation) \(id) (\(record.address))" + (removed.isEmpty ? "." : "; removed \(removed.joined(separator: ", ")).")
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

        init(_ record: PendingOperation) {
            id = record.id
            operation = record.operation
            address = record.address
            machine = record.machine
            files = record.files
            var sizes: [String: UInt64] = [:]
            for path in Self.partialFiles(of: record) {
                if let info = try? Syscall.stat(path) { sizes[path] = UInt64(info.st_size) }
            }
            partialFiles = sizes
            startedAt = record.startedAt
            lastError = record.lastError
            outcomeUnknown = record.applyAskedFor != nil
            command = "mfpbridge " + record.arguments.joined(separator: " ")
        }

        var text: String {
            var lines = ["\(id)  \(operation) on \(machine.map(\.description) ?? address) at \(address), since \(startedAt.formatted(.iso8601))"]
            if outcomeUnknown { lines.append("    the machine was asked to apply it and did not answer: the next run asks it what happened") }
            if let lastError { lines.append("    stopped: \(lastError)") }
            for (path, size) in partialFiles.sorted(by: { $0.key < $1.key }) { lines.append("    kept: \(path) (\(size) bytes)") }
            lines.append("    run again: \(command)   or drop it: mfpbridge resume --discard \(id)")
            return lines.joined(separator: "\n")
        }

        /// The files an interrupted run leaves to be continued: a box backup's part and checkpoints,
        /// a box restore's journal, a settings export's received stream.
        static func partialFiles(of record: PendingOperation) -> [String] {
            let serial = record.machine.map { String($0.serialNumber.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }) }
            switch record.operation {
            case "box-backup":
                return record.files.flatMap { [$0 + ".part", $0 + ".part.ckpt"] }
            case "box-restore":
                return serial.map { ["\(DataDirectory.path())/journals/\($0).box-restore.journal"] } ?? []
            case "export":
                return serial.map { ["\(Pending.folder)/\($0).settings-export.part", "\(Pending.folder)/\($0).settings-export.part.ckpt"] } ?? []
            default:
                return []
            }
        }
    }
}
