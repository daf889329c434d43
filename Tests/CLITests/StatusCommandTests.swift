import Foundation
import Testing

/// The built binary against `mfpbridge emulate --pty`: the real kernel tty layer in raw mode.
@Suite("mfpbridge status over a pty", .serialized)
struct StatusCommandTests {
    static let functions = [
        "send", "forwarding", "fax", "report-print", "scan-and-store", "individual-import-export",
        "device-information-delivery", "mailbox-backup", "batch-import-export", "iw-function-flow",
        "button-import-export", "software-update", "web-access", "web-access-error-screen",
        "remote-address-book",
    ]

    @Test("An idle machine: exit 0, and the --json fields scripts rely on")
    func idle() throws {
        let emulator = try RunningEmulator()
        #expect(emulator.address.hasPrefix("serial:/dev/pts/"))
        let result = try emulator.status(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try decodeJSON(result.stdout)
        #expect(json["model"] as? String == "Aurora C5540i")
        #expect(json["firmware"] as? String == "41.02.7")
        #expect(json["language"] as? String == "en-US")
        #expect(json["power"] as? String == "ready")
        #expect(json["errorCode"] is NSNull)
        #expect((json["activeJobs"] as? [Any])?.isEmpty == true)
        #expect(json["canImportExport"] as? Bool == true)
        #expect((json["blockers"] as? [Any])?.isEmpty == true)
    }

    // R5: each blocking function refuses with exit 4, named; finishing it allows again.
    @Test("R5: refuses with exit 4 while a job of each function runs, allows once it finishes")
    func everyFunction() throws {
        let emulator = try RunningEmulator()
        for function in Self.functions {
            let started = try emulator.control("job start \(function)")
            #expect(started.status == 0, "\(started.stderr)")
            let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.hasPrefix("J"))
            let refused = try emulator.status(["--json"])
            #expect(refused.status == 4, "\(function): \(refused.stderr)")
            let json = try decodeJSON(refused.stdout)
            #expect(json["canImportExport"] as? Bool == false)
            let blockers = try #require(json["blockers"] as? [[String: Any]])
            #expect(blockers.map { $0["code"] as? String } == ["job-running:\(function)"])
            #expect(blockers.first?["rule"] as? String == "R5")
            #expect((json["activeJobs"] as? [[String: Any]])?.first?["function"] as? String == function)
            #expect(try emulator.control("job finish \(id)").status == 0)
            #expect(try emulator.status().status == 0, "\(function) still blocks after finishing")
        }
    }

    @Test("R5: touch-panel and Remote UI operation do not block")
    func operatorSessions() throws {
        let emulator = try RunningEmulator()
        #expect(try emulator.control("job start touch-panel").status == 0)
        #expect(try emulator.control("job start remote-ui").status == 0)
        #expect(try emulator.status().status == 0)
    }

    @Test("R5: an error code and a shutdown refuse with exit 4, naming each; clearing allows")
    func errorCodeAndShutdown() throws {
        let emulator = try RunningEmulator()
        #expect(try emulator.control("error raise E602-0001").status == 0)
        #expect(try emulator.control("job start fax").status == 0)
        let refused = try emulator.status()
        #expect(refused.status == 4)
        #expect(refused.stdout.contains("E602-0001"))
        #expect(refused.stdout.contains("job-running:fax"))
        #expect(try emulator.control("error clear").status == 0)
        #expect(try emulator.control("job finish all").status == 0)
        #expect(try emulator.control("shutdown").status == 0)
        let shuttingDown = try emulator.status(["--json"])
        #expect(shuttingDown.status == 4)
        #expect(try decodeJSON(shuttingDown.stdout)["power"] as? String == "shutting-down")
        #expect(try emulator.control("boot").status == 0)
        #expect(try emulator.status().status == 0)
    }

    @Test("R1: a wrong password exits 5 and never shows the password")
    func wrongPassword() throws {
        let emulator = try RunningEmulator()
        let result = try emulator.status(password: "hunter2")
        #expect(result.status == 5)
        #expect(result.stderr.contains("wrong user name or password"))
        #expect(!result.stderr.contains("hunter2") && !result.stdout.contains("hunter2"))
    }

    @Test("R1: the password comes from a file; a changed password is enforced")
    func passwordFile() throws {
        let emulator = try RunningEmulator()
        #expect(try emulator.control("admin-password", stdin: "n3w-pass\n").status == 0)
        let file = try CommandRunner.temporaryDirectory() + "/password"
        try "n3w-pass\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(chmod(file, 0o600) == 0) // one others can read is refused
        let result = try CommandRunner.run(
            ["status", "--device", emulator.address, "--password-file", file],
            environment: ["MFPBRIDGE_PASSWORD": ""])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try emulator.status().status == 5)
    }

    @Test("Garbage on the serial line crashes neither side")
    func garbage() throws {
        let emulator = try RunningEmulator()
        // Host to device: raw garbage written straight into the line.
        let path = String(emulator.address.dropFirst("serial:".count))
        let line = try #require(FileHandle(forWritingAtPath: path))
        var generator = SystemRandomNumberGenerator()
        line.write(Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try line.close()
        // Device to host: the emulator sends garbage before its answers.
        #expect(try emulator.control("noise 4096").status == 0)
        let result = try emulator.status(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try decodeJSON(result.stdout)["model"] as? String == "Aurora C5540i")
        #expect(emulator.process.isRunning)
    }

    @Test("A second host cannot open the same port while one holds it")
    func exclusive() throws {
        let emulator = try RunningEmulator()
        let path = String(emulator.address.dropFirst("serial:".count))
        let holder = open(path, O_RDWR | O_NOCTTY)
        #expect(holder >= 0)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX | LOCK_NB) == 0)
        let result = try emulator.status()
        #expect(result.status == 3)
        #expect(result.stderr.contains("in use"))
    }
}
