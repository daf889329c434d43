import Foundation
import MFPTestTools
import Testing

/// Runs the built `mfpbridge` binary as a user would.
enum CommandRunner {
    static let packageRoot = PackageTool.packageRoot

    static var binary: String { tool("mfpbridge") }

    /// A built executable of this package (`mfpbridge`, `mfpbridge-mutate`).
    static func tool(_ name: String) -> String { PackageTool.path(name) }

    typealias Result = PackageTool.Result

    static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        timeout: TimeInterval = 60, executable: String? = nil
    ) throws -> Result {
        try PackageTool.run(executable ?? binary, arguments, environment: environment, stdin: stdin)
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// `mfpbridge emulate` running in the background on a pty or socket.
final class RunningEmulator {
    let process = Process()
    let address: String
    let stateDirectory: String
    let dataDirectory: String

    /// - Parameters:
    ///   - socketPath: serve this socket (another machine at the same address), else a new one.
    ///   - stateDirectory, dataDirectory: the folders of an earlier emulator (the same machine again).
    init(
        profile: String = "aurora-c5540", socket: Bool = false, socketPath: String? = nil,
        stateDirectory: String? = nil, dataDirectory: String? = nil, extraArguments: [String] = []
    ) throws {
        let work = try CommandRunner.temporaryDirectory()
        self.stateDirectory = stateDirectory ?? work + "/device"
        self.dataDirectory = dataDirectory ?? work + "/data"
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.arguments =
            ["emulate", "--profile", profile, "--state", self.stateDirectory]
            + (socket || socketPath != nil ? ["--socket", socketPath ?? work + "/mfp.sock"] : ["--pty"]) + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(["MFPBRIDGE_DATA_DIR": self.dataDirectory]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line is `ready ADDRESS`.
        var line = Data()
        while line.last != 0x0A {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { break }
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("ready ") else {
            process.terminate()
            throw CLIError("emulator did not print ready, got '\(text)'")
        }
        address = String(text.dropFirst(6))
    }

    /// `mfpbridge status` against this emulator with the factory password.
    func status(_ extra: [String] = [], password: String = "7654321") throws -> CommandRunner.Result {
        try CommandRunner.run(
            ["status", "--device", address] + extra,
            environment: ["MFPBRIDGE_PASSWORD": password, "MFPBRIDGE_DATA_DIR": dataDirectory])
    }

    /// `mfpbridge emulate-ctl` on this emulator's state folder.
    func control(_ words: String, stdin: String? = nil) throws -> CommandRunner.Result {
        try CommandRunner.run(
            ["emulate-ctl", "--state", stateDirectory] + words.split(separator: " ").map(String.init),
            environment: ["MFPBRIDGE_DATA_DIR": dataDirectory], stdin: stdin)
    }

    /// SIGKILL, as a power cut or a pulled cable would end it.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func decodeJSON(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}
