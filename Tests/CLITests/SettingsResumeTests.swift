import Foundation
import Testing

/// Settings exports and imports on the resumable stream: a damaged frame is sent again, and a
/// command killed mid-stream continues, when run again, from the last durable checkpoint.
@Suite("mfpbridge export and import resume and ride out line faults", .serialized)
struct SettingsResumeTests {
    let work: String

    init() throws {
        work = try CommandRunner.temporaryDirectory()
    }

    func environment(_ emulator: RunningEmulator) -> [String: String] {
        ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": emulator.dataDirectory]
    }

    func run(_ emulator: RunningEmulator, _ arguments: [String]) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, environment: environment(emulator), timeout: 120)
    }

    /// Runs `mfpbridge ARGUMENTS` in the background and kills it with SIGKILL as soon as
    /// `checkpointed()` holds. True when it was still running then (killed mid-way).
    func killAtCheckpoint(_ emulator: RunningEmulator, _ arguments: [String], checkpointed: () -> Bool) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment(emulator)) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline, !checkpointed() {
            Thread.sleep(forTimeInterval: 0.005)
        }
        let killedMidway = process.isRunning && checkpointed()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return killedMidway
    }

    /// Durable checkpoint records in a sidecar (`*.part.ckpt`: 128 bytes each).
    func records(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0) / 128
    }

    /// The host's sidecars of settings exports received into `DATA/pending/`.
    func exportSidecars(_ emulator: RunningEmulator) -> [String] {
        let folder = emulator.dataDirectory + "/pending"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".settings-export.part.ckpt") }.map { folder + "/" + $0 }
    }

    /// Each category's canonical digest in a bundle (`inspect --json`).
    func bundleDigests(_ path: String) throws -> [String: String] {
        let result = try CommandRunner.run(["inspect", path, "--json"], environment: ["MFPBRIDGE_BUNDLE_PASSWORD": ""])
        #expect(result.status == 0, "\(result.stderr)")
        let categories = try #require(try decodeJSON(result.stdout)["categories"] as? [[String: Any]])
        return Dictionary(
            uniqueKeysWithValues: categories.compactMap { entry in
                (entry["category"] as? String).flatMap { name in (entry["digest"] as? String).map { (name, $0) } }
            })
    }

    /// Each settings category's canonical digest on the machine (`emulate-ctl digests`).
    func deviceDigests(_ emulator: RunningEmulator) throws -> [String: String] {
        let result = try emulator.control("digests")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try decodeJSON(result.stdout)
        return json.compactMapValues { ($0 as? [String: Any])?["sha256"] as? String }
    }

    @Test("R3: an export killed mid-stream continues from its checkpoint and ends with the settings of an uninterrupted one")
    func exportResumes() throws {
        let device = try RunningEmulator() // a pty: a serial line
        let reference = work + "/reference.mfpb"
        let clean = try run(device, ["export", "--device", device.address, "--all", "-o", reference])
        #expect(clean.status == 0, "\(clean.stderr)")
        // 200 kB/s: the 1.6 MB export takes about 8 s, and the host checkpoints every 2 s.
        #expect(try device.control("line-speed 2000000").status == 0)
        let output = work + "/resumed.mfpb"
        let killed = try killAtCheckpoint(device, ["export", "--device", device.address, "--all", "-o", output]) {
            exportSidecars(device).contains { records($0) > 0 }
        }
        #expect(killed, "the export finished before its first checkpoint: nothing was tested")
        #expect(!FileManager.default.fileExists(atPath: output), "a bundle was written from a partial export")
        #expect(try device.control("line-speed off").status == 0)

        let resumed = try run(device, ["export", "--device", device.address, "--all", "-o", output, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let report = try decodeJSON(resumed.stdout)
        let resumedFrom = try #require(report["resumedFrom"] as? Int, "no resumedFrom in \(resumed.stdout)")
        #expect(resumedFrom > 0, "the rerun started over")
        #expect(try CommandRunner.run(["verify", output]).status == 0)
        let digests = try bundleDigests(output)
        #expect(digests.count == 13)
        #expect(digests == (try bundleDigests(reference)))
        #expect(digests == (try deviceDigests(device)).filter { digests[$0.key] != nil })
        // Once checked and written, the received stream is gone from the data folder.
        #expect(exportSidecars(device).isEmpty)
    }

    @Test(
        "R3: an import killed mid-stream leaves the old settings; the rerun continues from the machine's checkpoint and applies the new ones"
    )
    func importResumes() throws {
        let source = try RunningEmulator(profile: "aurora-c5540", socket: true)
        let target = try RunningEmulator(profile: "aurora-c5560") // a pty: a serial line
        let bundle = work + "/book.mfpb"
        let exported = try run(source, ["export", "--device", source.address, "--category", "address-book", "-o", bundle])
        #expect(exported.status == 0, "\(exported.stderr)")
        let incoming = try #require(try bundleDigests(bundle)["address-book"])
        let before = try deviceDigests(target)
        #expect(before["address-book"] != incoming, "the machines' address books are the same: nothing to import")
        // 50 kB/s: the 360 kB address book takes about 7 s each way; the machine checkpoints every 2 s.
        #expect(try target.control("line-speed 500000").status == 0)
        let staging = target.stateDirectory + "/settings-import.part.ckpt"
        let killed = try killAtCheckpoint(target, ["import", "--device", target.address, bundle, "--yes"]) {
            records(staging) > 0
        }
        #expect(killed, "the import finished before the machine's first checkpoint: nothing was tested")
        #expect(try deviceDigests(target) == before, "a killed import changed the machine")
        #expect(try target.control("line-speed off").status == 0)

        let resumed = try run(target, ["import", "--device", target.address, bundle, "--yes", "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let report = try decodeJSON(resumed.stdout)
        let resumedFrom = try #require(report["resumedFrom"] as? Int, "no resumedFrom in \(resumed.stdout)")
        #expect(resumedFrom > 0, "the rerun started over")
        var expected = before
        expected["address-book"] = incoming
        #expect(try deviceDigests(target) == expected)
        // Applied: the machine keeps no received stream.
        #expect(!FileManager.default.fileExists(atPath: target.stateDirectory + "/settings-import.part"))
    }

    @Test(
        "Flipped bits and dropped bytes in a settings export are ridden out: the bundle equals a clean export's", arguments: [false, true])
    func exportRidesOutLineFaults(socket: Bool) throws {
        let device = try RunningEmulator(socket: socket)
        let reference = work + "/clean-\(socket).mfpb"
        let clean = try run(device, ["export", "--device", device.address, "--all", "-o", reference])
        #expect(clean.status == 0, "\(clean.stderr)")
        for fault in ["corrupt", "drop"] {
            #expect(try device.control("\(fault) 8").status == 0)
            let output = work + "/\(fault)-\(socket).mfpb"
            let result = try run(device, ["export", "--device", device.address, "--all", "-o", output, "--json"])
            #expect(result.status == 0, "\(fault): \(result.stderr)")
            let report = try decodeJSON(result.stdout)
            // The faults did hit the stream, and were sent again.
            #expect((report["damagedFrames"] as? Int ?? 0) > 0, "\(fault): no damaged frame seen: \(result.stdout)")
            #expect(try CommandRunner.run(["verify", output]).status == 0)
            #expect(try bundleDigests(output) == (try bundleDigests(reference)))
        }
    }
}
