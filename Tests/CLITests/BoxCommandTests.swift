import Crypto
import Foundation
import Testing

/// Box documents, the large payload: backup, restore, resume, and the checks around them.
@Suite("mfpbridge box-backup and box-restore", .serialized)
struct BoxCommandTests {
    func run(_ emulator: RunningEmulator, _ arguments: [String]) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, environment: ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": emulator.dataDirectory])
    }

    func boxDigest(_ emulator: RunningEmulator) throws -> String {
        let json = try decodeJSON(try emulator.control("digests").stdout)
        return try #require((json["box-documents"] as? [String: Any])?["sha256"] as? String)
    }

    @Test("R3: a backup killed mid-way resumes from its checkpoint and ends byte-identical")
    func backupResumes() throws {
        // A pty is the slow link: the first checkpoint (after 2 s) lands well before the end.
        let device = try RunningEmulator()
        #expect(try device.control("box size 134217728").status == 0) // 128 MiB
        let expected = try boxDigest(device)
        let output = try CommandRunner.temporaryDirectory() + "/resumed.mfpbox"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.arguments = ["box-backup", "--device", device.address, "-o", output]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": device.dataDirectory,
        ]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Killed once the device has journaled a checkpoint the host made durable: from then on a
        // rerun must continue, not start over.
        let journal = device.stateDirectory + "/box/export.journal"
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline,
            ((try? FileManager.default.attributesOfItem(atPath: journal))?[.size] as? Int ?? 0) < 128
        {
            Thread.sleep(forTimeInterval: 0.005)
        }
        let killedMidway = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(killedMidway, "the backup finished before the kill: nothing was tested")
        #expect(!FileManager.default.fileExists(atPath: output), "a partial backup was published")
        let resumed = try run(device, ["box-backup", "--device", device.address, "-o", output])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed at byte"), "the rerun started over: \(resumed.stdout)")
        // Byte-identical: the sealed payload's chain is the device's content chain, and every byte checks.
        #expect(try CommandRunner.run(["verify", output]).status == 0)
        let file = try #require(FileHandle(forReadingAtPath: output))
        #expect(try file.read(upToCount: 8) == Data("MFPBOXB2".utf8), "the part did not keep the preamble at its start")
        try file.close()
        // inspect shows the sealed trailer only once it checked.
        let trailer = try decodeJSON(try CommandRunner.run(["inspect", "--json", output]).stdout)
        #expect(trailer["payloadChain"] as? String == expected)
        #expect(trailer["payloadSize"] as? Int == 134_217_728)
    }

    @Test("R3: restore replaces the box documents atomically; a damaged backup (R8) and another language (R7) are refused")
    func restore() throws {
        let source = try RunningEmulator(profile: "aurora-c5560", socket: true)
        let target = try RunningEmulator(profile: "aurora-c5540")
        let other = try RunningEmulator(profile: "meridian-m3200")
        let work = try CommandRunner.temporaryDirectory()
        let backup = work + "/box.mfpbox"
        #expect(try run(source, ["box-backup", "--device", source.address, "-o", backup]).status == 0)
        let before = try boxDigest(target)
        #expect(before != (try boxDigest(source)))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: backup)))
        bytes[bytes.count / 3] ^= 1
        let damaged = work + "/damaged.mfpbox"
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let refused = try run(target, ["box-restore", "--device", target.address, damaged, "--yes"])
        #expect(refused.status == 6)
        #expect(try CommandRunner.run(["verify", damaged]).status == 6)
        #expect(try boxDigest(target) == before)
        // R8, R7: the origin rewritten to the other machine's language and model, D recomputed: the
        // seal no longer matches, so neither verify, inspect nor box-restore trusts it.
        let rewritten = work + "/rewritten.mfpbox"
        try Data(Self.rewriteOrigin(try [UInt8](Data(contentsOf: URL(fileURLWithPath: backup))))).write(to: URL(fileURLWithPath: rewritten))
        for arguments in [["verify", rewritten], ["inspect", rewritten]] {
            let result = try CommandRunner.run(arguments)
            #expect(result.status == 6, "\(arguments[0]): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("its trailer was edited"), "\(result.stderr)")
        }
        let forged = try run(other, ["box-restore", "--device", other.address, rewritten, "--yes"])
        #expect(forged.status == 6, "\(forged.stderr)")
        // Cut by one byte, or one byte more: a damaged box backup, never "not a bundle".
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: backup)))
        for (name, bytes, says) in [("cut", Array(original.dropLast()), "cut short"), ("extended", original + [0], "bytes after its end")] {
            let path = work + "/\(name).mfpbox"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let result = try CommandRunner.run(["verify", path])
            #expect(result.status == 6)
            #expect(result.stderr.contains(says) && !result.stderr.contains("not an mfpbridge bundle"), "\(name): \(result.stderr)")
        }
        let language = try run(other, ["box-restore", "--device", other.address, backup, "--yes"])
        #expect(language.status == 7)
        #expect(language.stderr.contains("R7"))
        let restored = try run(target, ["box-restore", "--device", target.address, backup, "--yes"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try boxDigest(target) == (try boxDigest(source)))
    }

    /// The trailer's language and model changed (same lengths) and its digest D recomputed; the seal is left.
    static func rewriteOrigin(_ file: [UInt8]) -> [UInt8] {
        var bytes = file
        let length = bytes[(bytes.count - 12)..<(bytes.count - 8)].reduce(0) { $0 << 8 | Int($1) }
        let start = bytes.count - 76 - length
        let json = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
            .replacingOccurrences(of: "en-US", with: "de-DE").replacingOccurrences(of: "Aurora C5560i", with: "Meridian M32i")
        bytes.replaceSubrange(start..<(start + length), with: Array(json.utf8))
        bytes.replaceSubrange((start + length)..<(start + length + 32), with: Array(SHA256.hash(data: Array(json.utf8))))
        return bytes
    }

    @Test("A restore whose commit answer is lost asks again and succeeds; the device applies it once")
    func lostCommitAnswer() throws {
        let source = try RunningEmulator(profile: "aurora-c5560", socket: true)
        let target = try RunningEmulator(profile: "aurora-c5540")
        let work = try CommandRunner.temporaryDirectory()
        let backup = work + "/box.mfpbox"
        #expect(try run(source, ["box-backup", "--device", source.address, "-o", backup]).status == 0)
        #expect(try target.control("lose-answer box-import-commit").status == 0)
        let restored = try run(target, ["box-restore", "--device", target.address, backup, "--yes"])
        #expect(restored.status == 0, "a lost commit answer ended as a failure: \(restored.stderr)")
        #expect(try boxDigest(target) == (try boxDigest(source)))
    }

    @Test(
        "Flipped bits and dropped bytes inside box streams, both ways and on both links, are ridden out: results identical",
        arguments: [false, true])
    func lineFaults(socket: Bool) throws {
        let source = try RunningEmulator(profile: "aurora-c5560", socket: socket)
        let target = try RunningEmulator(profile: "aurora-c5540", socket: socket)
        #expect(try source.control("box size 8388608").status == 0)
        let work = try CommandRunner.temporaryDirectory()
        for fault in ["corrupt", "drop"] {
            // Device to host: faults in the data frames the device sends.
            #expect(try source.control("\(fault) 20").status == 0)
            let backup = work + "/\(fault).mfpbox"
            let backedUp = try run(source, ["box-backup", "--device", source.address, "-o", backup, "--wait", "--wait-timeout", "60"])
            #expect(backedUp.status == 0, "\(fault): \(backedUp.stderr)")
            #expect(try CommandRunner.run(["verify", backup]).status == 0)
            // Host to device: the device's credits and checkpoints are damaged on their way back.
            #expect(try target.control("\(fault) 3").status == 0)
            let restored = try run(target, ["box-restore", "--device", target.address, backup, "--yes", "--wait", "--wait-timeout", "60"])
            #expect(restored.status == 0, "\(fault): \(restored.stderr)")
            #expect(try boxDigest(target) == (try boxDigest(source)))
            #expect(try target.control("box size 1024").status == 0)
        }
    }

    @Test("R5: a box backup is refused while a job runs")
    func busy() throws {
        let device = try RunningEmulator()
        #expect(try device.control("job start mailbox-backup").status == 0)
        let result = try run(
            device, ["box-backup", "--device", device.address, "-o", try CommandRunner.temporaryDirectory() + "/x.mfpbox"])
        #expect(result.status == 4)
        #expect(result.stderr.contains("job-running:mailbox-backup"))
    }
}
