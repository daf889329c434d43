import BridgeSystem
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A command running in the background whose output lines are collected as they come.
public final class BackgroundCommand: Sendable {
    public let process: Process
    private final class Lines: Sendable { let value = Mutex<[String]>([]) }
    private let lines = Lines()

    /// Starts `executable` (a path; `mfpbridge` when nil) with `arguments`, its standard output
    /// and error collected together.
    public init(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? PackageTool.path("mfpbridge"))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let handle = out.fileHandleForReading
        Thread { [lines] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending += chunk
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending = Data(pending[(newline + 1)...])
                    lines.value.withLock { $0.append(line) }
                }
            }
        }.start()
    }

    public var output: [String] { lines.value.withLock { $0 } }

    /// Waits until a line satisfies `predicate`; returns it, or nil after `timeout`.
    public func waitForLine(timeout: Duration = .seconds(10), _ predicate: (String) -> Bool) -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = output.first(where: predicate) { return line }
            usleep(20_000)
        }
        return nil
    }

    /// Waits for the command to end; its exit status, or nil if it still runs after `timeout`.
    public func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL: a child of the test runner may inherit a blocked SIGTERM.
    public func stop() {
        if process.isRunning { try? Syscall.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
