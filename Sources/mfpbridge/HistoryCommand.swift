import ArgumentParser
import BridgeClient
import BridgeTransfer
import Foundation

struct HistoryList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List past exports, imports and rollbacks: who, when, what, outcome, files.")

    @Option(name: .long, help: "How many entries, newest first.")
    var limit = 20

    @OptionGroup var output: OutputOptions

    func run() throws {
        let entries = try History.open(dataDirectory: DataDirectory.path(), purpose: .read).entries(limit: limit)
        if output.json {
            Output.json(entries)
            return
        }
        if entries.isEmpty { Output.line("No operations yet.") }
        let formatter = ISO8601DateFormatter()
        for entry in entries {
            Output.line(
                "\(formatter.string(from: entry.startedAt))  \(entry.operation)  \(entry.outcome)  \(entry.model ?? "?") \(entry.deviceSerial ?? "") via \(entry.device)  by \(entry.user)"
            )
            Output.line("    categories: \(entry.categories)")
            if let bundle = entry.bundlePath { Output.line("    bundle: \(bundle)") }
            if let snapshot = entry.snapshotPath { Output.line("    snapshot: \(snapshot)") }
            if entry.outcome != "succeeded" { Output.line("    exit \(entry.exitCode): \(entry.message)") }
        }
    }
}
