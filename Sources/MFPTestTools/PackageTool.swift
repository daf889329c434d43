import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A built executable of this package (`mfpbridge`, `mfpbridge-mutate`), run by the tests as a
/// user would: beside the test bundle, or in `.build/debug` of the package.
public enum PackageTool {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The path of the built executable `name`.
    public static func path(_ name: String) -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/\(name)").path
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// False when a signal ended the process (then `status` is the signal's number).
        public var exited = true

        public init(status: Int32, stdout: String, stderr: String, exited: Bool = true) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
            self.exited = exited
        }
    }

    /// Runs `executable` (a path) with `arguments`, the test's environment plus `environment`, and
    /// `stdin` (or nothing) as its standard input; waits for it and returns what it printed.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        stdin: String? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Both pipes read while the child runs, so a full one never blocks it.
        let stderrData = Mutex(Data())
        let reader = Thread { stderrData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderrData.withLock { $0 }, as: UTF8.self),
            exited: process.terminationReason == .exit)
    }
}
