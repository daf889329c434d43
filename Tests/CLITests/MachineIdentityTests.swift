import Foundation
import Testing

/// An operation that reached a machine continues on that machine only; a commit whose answer was
/// lost to a pulled cable is an unknown outcome, resolved truthfully by the next run.
@Suite("Machine identity and unknown outcomes", .serialized)
struct MachineIdentityTests {
    func run(_ arguments: [String], data: String) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, environment: ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": data])
    }

    func serial(_ emulator: RunningEmulator) throws -> String {
        try #require(try decodeJSON(try emulator.control("state").stdout)["serialNumber"] as? String)
    }

    func digest(_ emulator: RunningEmulator, _ category: String) throws -> String? {
        (try decodeJSON(try emulator.control("digests").stdout)[category] as? [String: Any])?["sha256"] as? String
    }

    /// Starts `arguments` in the background against `data`.
    func start(_ arguments: [String], data: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": data]) {
            $1
        }
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    func waitUntil(_ seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    @Test("A box backup interrupted on one machine is refused by another at the same address, keeps its part, and finishes on the first")
    func backupStaysOnItsMachine() throws {
        let first = try RunningEmulator(profile: "aurora-c5540", socket: true)
        let socket = String(first.address.dropFirst("unix:".count))
        let data = first.dataDirectory
        #expect(try first.control("box size 33554432").status == 0)
        #expect(try first.control("line-speed 20000000").status == 0) // about 16 s for 32 MiB
        let firstSerial = try serial(first)
        let output = try CommandRunner.temporaryDirectory() + "/box.mfpbox"
        let (backup, _) = try start(["box-backup", "--device", first.address, "-o", output], data: data)
        // Cut once the machine journaled a checkpoint the host made durable: a rerun continues there.
        let checkpointed = waitUntil(60) {
            ((try? FileManager.default.attributesOfItem(atPath: first.stateDirectory + "/box/export.journal"))?[.size] as? Int ?? 0) >= 128
        }
        #expect(checkpointed, "no checkpoint was written before the cut")
        first.kill()
        backup.waitUntilExit()
        #expect(backup.terminationStatus == 8)

        // Another machine now answers at the same address.
        let other = try RunningEmulator(profile: "aurora-c5560", socketPath: socket)
        let otherSerial = try serial(other)
        #expect(otherSerial != firstSerial)
        let refused = try run(["box-backup", "--device", first.address, "-o", output], data: data)
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains(firstSerial) && refused.stderr.contains(otherSerial), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: output + ".part"), "the first machine's partial backup was discarded")
        #expect(!FileManager.default.fileExists(atPath: output), "the other machine's backup was published")
        let listed = try run(["resume", "--list", "--json"], data: data)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(records.count == 1)
        #expect((records.first?["machine"] as? [String: Any])?["serialNumber"] as? String == firstSerial)
        #expect((records.first?["partialFiles"] as? [String: Any])?.keys.contains(output + ".part") == true)
        other.kill()

        // The first machine is back: the backup continues from its checkpoint and verifies.
        let back = try RunningEmulator(
            profile: "aurora-c5540", socketPath: socket, stateDirectory: first.stateDirectory, dataDirectory: data)
        let finished = try run(["box-backup", "--device", back.address, "-o", output], data: data)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(finished.stdout.contains("resumed at byte"), "\(finished.stdout)")
        #expect(try CommandRunner.run(["verify", output]).status == 0)
        #expect(try run(["resume", "--list"], data: data).stdout.contains("Nothing to resume"))
    }

    @Test(
        "R3: a box restore whose answer was lost to a pulled cable after the apply is exit 8 'not known'; the rerun finds it applied and sends nothing"
    )
    func restoreAppliedBeforeTheCut() throws {
        let source = try RunningEmulator(profile: "aurora-c5560", socket: true)
        #expect(try source.control("box size 4194304").status == 0)
        let file = try CommandRunner.temporaryDirectory() + "/box.mfpbox"
        #expect(try run(["box-backup", "--device", source.address, "-o", file], data: source.dataDirectory).status == 0)
        let expected = try digest(source, "box-documents")

        let target = try RunningEmulator(profile: "aurora-c5540", socket: true)
        let socket = String(target.address.dropFirst("unix:".count))
        #expect(try target.control("freeze-after box-import-commit").status == 0)
        let (restore, errors) = try start(["box-restore", "--device", target.address, file, "--yes"], data: target.dataDirectory)
        #expect(try waitUntil(60) { try digest(target, "box-documents") == expected }, "the machine never applied the restore")
        target.kill() // the cable is pulled while the bridge waits for the answer
        restore.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(restore.terminationStatus == 8, "\(said)")
        #expect(said.contains("NOT known"), "\(said)")

        let back = try RunningEmulator(
            profile: "aurora-c5540", socketPath: socket, stateDirectory: target.stateDirectory,
            dataDirectory: target.dataDirectory)
        let rerun = try run(["box-restore", "--device", back.address, file, "--yes"], data: target.dataDirectory)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("already holds exactly these"), "\(rerun.stdout)")
        #expect(try digest(back, "box-documents") == expected)
    }

    @Test(
        "R3: a settings import whose answer was lost to a pulled cable is exit 8 'not known'; the rerun asks the machine and reports it applied"
    )
    func importAppliedBeforeTheCut() throws {
        let source = try RunningEmulator(profile: "aurora-c5560", socket: true)
        let bundle = try CommandRunner.temporaryDirectory() + "/book.mfpb"
        let exported = try run(
            ["export", "--device", source.address, "--category", "address-book", "-o", bundle], data: source.dataDirectory)
        #expect(exported.status == 0, "\(exported.stderr)")

        let target = try RunningEmulator(profile: "aurora-c5540", socket: true)
        let socket = String(target.address.dropFirst("unix:".count))
        let before = try digest(target, "address-book")
        #expect(try target.control("freeze-after import-commit").status == 0)
        let (importing, errors) = try start(["import", "--device", target.address, bundle, "--yes"], data: target.dataDirectory)
        #expect(try waitUntil(60) { try digest(target, "address-book") != before }, "the machine never applied the import")
        target.kill()
        importing.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(importing.terminationStatus == 8, "\(said)")
        #expect(said.contains("NOT known"), "\(said)")
        let applied = try digest(target, "address-book")

        let back = try RunningEmulator(
            profile: "aurora-c5540", socketPath: socket, stateDirectory: target.stateDirectory,
            dataDirectory: target.dataDirectory)
        let rerun = try run(["import", "--device", back.address, bundle, "--yes"], data: target.dataDirectory)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("had applied this import"), "\(rerun.stdout)")
        #expect(try digest(back, "address-book") == applied)
        #expect(try run(["resume", "--list"], data: target.dataDirectory).stdout.contains("Nothing to resume"))
    }
}
