import ArgumentParser
import BridgeClient
import BridgeTransfer
import Foundation

/// Interrupted resumable operations, so that `mfpbridge resume` can run them again: one file per
/// operation in `DATA/pending/`, holding its arguments (never a password), removed when it ends
/// other than by an interruption.
struct PendingOperations {
    let path: String

    static var folder: String { DataDirectory.path() + "/pending" }

    static func begin(_ arguments: [String]) throws -> PendingOperations {
        try DurableFile.makeDirectory(folder)
        // The same operation again (a rerun) replaces its own entry.
        let name = arguments.joined(separator: "\u{1}").utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        let path = "\(folder)/\(String(name, radix: 16)).json"
        try DurableFile.write(try JSONEncoder().encode(arguments), to: path)
        return PendingOperations(path: path)
    }

    func finish() {
        unlink(path)
    }

    /// Keeps the entry when the operation can be continued later (interrupted, or the device gone).
    func end(_ error: (any Error)?) {
        let status = (error as? BridgeError)?.status
        if status != .interrupted && status != .unreachable { finish() }
    }

    static func list() -> [(path: String, arguments: [String])] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().compactMap { file in
            let path = "\(folder)/\(file)"
            guard let data = FileManager.default.contents(atPath: path),
                  let arguments = try? JSONDecoder().decode([String].self, from: data) else { return nil }
            return (path, arguments)
        }
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue every interrupted box backup or restore from its last durable checkpoint.",
        discussion: "Runs each interrupted operation again with its own arguments, including the path of its --admin-password-file (never a password). Without one, the password comes from MFPBRIDGE_PASSWORD or, on a terminal, a prompt. Exit status: the worst of the operations'.")

    @Flag(name: .long, help: "Only list the interrupted operations.")
    var list = false

    func run() throws {
        let pending = PendingOperations.list()
        if pending.isEmpty {
            Output.line("Nothing to resume.")
            return
        }
        var worst: Int32 = 0
        for operation in pending {
            Output.line("Resuming: mfpbridge \(operation.arguments.joined(separator: " "))")
            if list { continue }
            // In our own process group, so that a rerun without a password file can prompt on the terminal.
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            worst = max(worst, try ForegroundProcess.run(executable, arguments: operation.arguments))
        }
        if worst != 0 { throw ExitCode(worst) }
    }
}
