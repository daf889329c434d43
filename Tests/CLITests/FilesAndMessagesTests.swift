import Foundation
import Testing

/// Mounts a tmpfs for a test (read-only, or small enough to fill); only root may.
enum ScratchMount {
    /// Whether this process may mount: tried once with a tiny tmpfs.
    static let available: Bool = {
        guard geteuid() == 0, let path = try? CommandRunner.temporaryDirectory() else { return false }
        guard mount(path, options: "size=64k") else { return false }
        unmount(path)
        return true
    }()

    @discardableResult
    static func mount(_ path: String, options: String) -> Bool {
        run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path])
    }

    static func unmount(_ path: String) {
        run("/bin/umount", [path])
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// Whether the built binary can be run as `nobody` (root, setpriv, and a path others may traverse).
let canRunAsNobody: Bool =
    geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    && access(CommandRunner.binary, X_OK) == 0
    && ScratchMount.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", CommandRunner.binary, "--help"])

/// Secrets, files the operator names, and the data folder: messages that say what happened and
/// what to do, with the documented exit codes.
@Suite("files, secrets and their messages")
struct FilesAndMessagesTests {
    static let password = ["MFPBRIDGE_PASSWORD": "7654321"]

    @Test("A folder or a missing file given as a bundle is a usage error (2) that says so")
    func foldersAndMissingFiles() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let data = ["MFPBRIDGE_DATA_DIR": try CommandRunner.temporaryDirectory()].merging(Self.password) { $1 }
        for command in [
            ["verify", folder], ["inspect", folder],
            ["import", "--device", "emulated:aurora-c5540", folder, "--dry-run"],
        ] {
            let result = try CommandRunner.run(command, environment: data)
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("\(folder) is a folder, not a bundle file"), "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        }
        let box = try CommandRunner.run(["box-restore", "--device", "emulated:aurora-c5540", folder, "--yes"], environment: data)
        #expect(box.status == 2, "\(box.stderr)")
        #expect(box.stderr.contains("\(folder) is a folder, not a box backup file"), "\(box.stderr)")
        for command in ["verify", "inspect"] {
            let missing = try CommandRunner.run([command, folder + "/nope.mfpb"], environment: data)
            #expect(missing.status == 2, "\(missing.stderr)")
            #expect(missing.stderr.contains("no bundle file at \(folder)/nope.mfpb: check the file name"), "\(missing.stderr)")
        }
    }

    @Test(
        "A bundle this user may not read: exit 1, with the errno", .enabled(if: canRunAsNobody, "needs root and setpriv to run as nobody"))
    func unreadableBundle() throws {
        let folder = try CommandRunner.temporaryDirectory()
        #expect(chmod(folder, 0o755) == 0)
        let file = folder + "/secret.mfpb"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8), attributes: [.posixPermissions: 0o600]))
        let result = try CommandRunner.runTool(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups",
                CommandRunner.binary, "verify", file,
            ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot read the bundle file \(file): permission denied (EACCES)"), "\(result.stderr)")
    }

    @Test("A folder given as a serial port says so (exit 3)")
    func serialFolder() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let result = try CommandRunner.run(["status", "--device", "serial:\(folder)"], environment: Self.password)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("\(folder) is a folder, not a serial port"), "\(result.stderr)")
    }

    @Test("A password file others may read is refused like an ssh key (exit 2); 0600 is used")
    func passwordFileModes() throws {
        let work = try CommandRunner.temporaryDirectory()
        let environment = ["MFPBRIDGE_DATA_DIR": work + "/data", "MFPBRIDGE_PASSWORD": ""]
        let file = work + "/admin-password"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("7654321\n".utf8), attributes: [.posixPermissions: 0o644]))
        #expect(chmod(file, 0o644) == 0)
        let open = try CommandRunner.run(
            ["status", "--device", "emulated:aurora-c5540", "--password-file", file], environment: environment)
        #expect(open.status == 2, "\(open.stderr)")
        #expect(open.stderr.contains("\(file) is readable by others (mode 0644): chmod 600 \(file)"), "\(open.stderr)")
        // The bundle's password file too (checked before the machine is touched).
        let bundle = try CommandRunner.run(
            [
                "export", "--device", "emulated:aurora-c5540", "--all", "--password-file", file,
                "-o", work + "/b.mfpb",
            ], environment: Self.password.merging(["MFPBRIDGE_DATA_DIR": work + "/data"]) { $1 })
        #expect(bundle.status == 2, "\(bundle.stderr)")
        #expect(bundle.stderr.contains("\(file) is readable by others (mode 0644): chmod 600 \(file)"), "\(bundle.stderr)")
        #expect(chmod(file, 0o600) == 0)
        let closed = try CommandRunner.run(
            ["status", "--device", "emulated:aurora-c5540", "--password-file", file], environment: environment)
        #expect(closed.status == 0, "\(closed.stderr)")
    }

    @Test("resume reruns a box backup with its password file, without MFPBRIDGE_PASSWORD")
    func resumeRemembersThePasswordFile() throws {
        let work = try CommandRunner.temporaryDirectory()
        let environment = ["MFPBRIDGE_DATA_DIR": work + "/data", "MFPBRIDGE_PASSWORD": ""]
        let file = work + "/admin-password"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("7654321\n".utf8), attributes: [.posixPermissions: 0o600]))
        let socket = work + "/mfp.sock"
        let output = work + "/box.mfpbox"
        // No device on the socket yet: the backup is left pending (exit 3).
        let first = try CommandRunner.run(
            ["box-backup", "--device", "unix:\(socket)", "--admin-password-file", file, "-o", output],
            environment: environment)
        #expect(first.status == 3, "\(first.stderr)")
        let pending = try FileManager.default.contentsOfDirectory(atPath: work + "/data/pending").filter { $0.hasSuffix(".json") }
        #expect(pending.count == 1)
        let saved = try Data(contentsOf: URL(fileURLWithPath: work + "/data/pending/" + (pending.first ?? "")))
        let record = try #require(try JSONSerialization.jsonObject(with: saved) as? [String: Any])
        let arguments = try #require(record["arguments"] as? [String])
        #expect(arguments.firstIndex(of: "--admin-password-file").map { arguments[$0 + 1] } == file, "\(arguments)")
        #expect(!String(decoding: saved, as: UTF8.self).contains("7654321"))
        let emulator = try RunningEmulator(socketPath: socket)
        _ = emulator
        let resumed = try CommandRunner.run(["resume"], environment: environment, timeout: 120)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(FileManager.default.fileExists(atPath: output))
        let left = try FileManager.default.contentsOfDirectory(atPath: work + "/data/pending").filter { $0.hasSuffix(".json") }
        #expect(left.isEmpty)
    }

    @Test(
        "A read-only data folder fails at once and says which folder and what to do",
        .enabled(if: ScratchMount.available, "needs root to mount a read-only tmpfs"))
    func readOnlyDataFolder() throws {
        let data = try CommandRunner.temporaryDirectory()
        try #require(ScratchMount.mount(data, options: "ro,size=64k"))
        defer { ScratchMount.unmount(data) }
        let environment = ["MFPBRIDGE_DATA_DIR": data].merging(Self.password) { $1 }
        let expected = "the data folder \(data) is read-only (EROFS): set MFPBRIDGE_DATA_DIR to a writable folder"
        let status = try CommandRunner.run(["status", "--device", "emulated:aurora-c5540"], environment: environment)
        #expect(status.status == 1, "\(status.stderr)")
        #expect(status.stderr.contains(expected), "\(status.stderr)")
        // Refused before the machine is even greeted: this one would never answer (a bridge that
        // talked to it first would wait out its hello and end with exit 3).
        let emulator = try RunningEmulator(socket: true)
        #expect(try emulator.control("freeze-after hello").status == 0)
        let export = try CommandRunner.run(
            ["export", "--device", emulator.address, "--all", "-o", try CommandRunner.temporaryDirectory() + "/x.mfpb"],
            environment: environment)
        #expect(export.status == 1, "\(export.stderr)")
        #expect(export.stderr.contains(expected), "\(export.stderr)")
        let history = try CommandRunner.run(["history"], environment: environment)
        #expect(history.status == 1)
        #expect(history.stderr.contains("cannot read the history: \(expected)"), "\(history.stderr)")
    }

    @Test(
        "A full disk under the history: what and where, not 'SQLite error 13'",
        .enabled(if: ScratchMount.available, "needs root to mount a small tmpfs"))
    func fullDisk() throws {
        let data = try CommandRunner.temporaryDirectory()
        try #require(ScratchMount.mount(data, options: "size=256k"))
        defer { ScratchMount.unmount(data) }
        // Fill it up.
        #expect(FileManager.default.createFile(atPath: data + "/filler", contents: nil))
        let filler = try #require(FileHandle(forWritingAtPath: data + "/filler"))
        let block = Data(count: 4096)
        while (try? filler.write(contentsOf: block)) != nil {}
        try? filler.close()
        let result = try CommandRunner.run(["history"], environment: ["MFPBRIDGE_DATA_DIR": data])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains("cannot read the history: the disk holding \(data) is full (SQLITE_FULL): free some space"),
            "\(result.stderr)")
    }
}

extension CommandRunner {
    /// Runs a tool such as setpriv that runs the binary, for tests that wrap it.
    static func runTool(_ tool: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

@Suite("doctor and the udev rule")
struct DoctorRuleTests {
    @Test("doctor names the quirks entries whose ids the udev rule does not cover, as JSON too")
    func uncoveredQuirks() throws {
        let work = try CommandRunner.temporaryDirectory()
        let quirks = work + "/quirks.json"
        try Data(
            """
            {"devices": [{"vendorID": "1209", "productID": "7a01", "interfaceClass": "ff", "subclass": "42", "protocol": "01", "model": "Lab MFP"},
                         {"vendorID": "3a5c", "productID": "0c99", "model": "Covered"}]}
            """.utf8
        ).write(to: URL(fileURLWithPath: quirks))
        let rules = work + "/70-mfpbridge.rules"
        try FileManager.default.copyItem(
            atPath: CommandRunner.packageRoot.appendingPathComponent("udev/70-mfpbridge.rules").path, toPath: rules)
        let environment = ["MFPBRIDGE_QUIRKS": quirks, "MFPBRIDGE_UDEV_RULES": rules]
        let text = try CommandRunner.run(["doctor"], environment: environment)
        #expect(text.status == 1)
        #expect(
            text.stdout.contains("problem: quirks entry 1209:7a01 (Lab MFP) is not in \(rules): a non-root user cannot open it"),
            "\(text.stdout)")
        #expect(text.stdout.contains(#"ATTR{idVendor}=="1209", ATTR{idProduct}=="7a01", ENV{ID_USB_INTERFACES}=="*:ff4201:*""#))
        #expect(!text.stdout.contains("3a5c:0c99"))
        let json = try decodeJSON(try CommandRunner.run(["doctor", "--json"], environment: environment).stdout)
        let uncovered = try #require(json["uncoveredQuirks"] as? [[String: Any]])
        #expect(uncovered.count == 1)
        #expect(uncovered.first?["vendorID"] as? String == "1209")
        #expect(uncovered.first?["productID"] as? String == "7a01")
        #expect(uncovered.first?["rulesFile"] as? String == rules)
        // With the suggested line added, the entry is covered.
        let line = try #require(uncovered.first?["suggestedLine"] as? String)
        let original = try String(contentsOfFile: rules, encoding: .utf8)
        try original.replacingOccurrences(of: "LABEL=\"mfpbridge_end\"", with: line + "\n\nLABEL=\"mfpbridge_end\"")
            .write(toFile: rules, atomically: true, encoding: .utf8)
        let fixed = try decodeJSON(try CommandRunner.run(["doctor", "--json"], environment: environment).stdout)
        #expect((fixed["uncoveredQuirks"] as? [Any])?.isEmpty == true)
    }
}
