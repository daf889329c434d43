import Foundation
import Testing

/// Nothing is reserved on a machine for a transfer that cannot finish here, and a local failure
/// mid-transfer releases the machine at once and leaves its part file listed, never invisible.
/// Uses small tmpfs mounts (root only); elsewhere the tests say why they did not run.
@Suite("Local room before reserving", .serialized)
struct LocalRoomTests {
    /// A tmpfs of `size` bytes, or nil (with the reason printed) when this process may not mount.
    static func smallDisk(_ size: Int) throws -> String? {
        let path = try CommandRunner.temporaryDirectory()
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            print("SKIPPED: cannot mount a small tmpfs here (needs root): the full-disk cases were not run")
            return nil
        }
        return path
    }

    static func unmount(_ path: String) {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = ["-l", path]
        try? umount.run()
        umount.waitUntilExit()
    }

    func reserved(_ emulator: RunningEmulator) throws -> Bool {
        try decodeJSON(try emulator.control("state").stdout)["importExportInProgress"] as? Bool ?? true
    }

    @Test("a box backup into a folder without room is refused before the machine is reserved")
    func noRoom() throws {
        let emulator = try RunningEmulator(profile: "aurora-c5540", socket: true)
        #expect(try emulator.control("box size 8388608").status == 0)
        guard let disk = try Self.smallDisk(2 << 20) else { return }
        defer { Self.unmount(disk) }
        let result = try CommandRunner.run(
            ["box-backup", "--device", emulator.address, "-o", disk + "/box.mfpbox"],
            environment: ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": emulator.dataDirectory])
        #expect(result.status == 1)
        #expect(result.stderr.contains("nothing was reserved"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: disk + "/box.mfpbox.part"))
        #expect(try reserved(emulator) == false)
    }

    @Test("a disk that fills up mid-backup releases the machine at once, keeps the part listed, and a rerun with room continues it")
    func fullMidway() throws {
        let emulator = try RunningEmulator(profile: "aurora-c5540", socket: true)
        #expect(try emulator.control("box size 3145728").status == 0) // 3 MiB
        #expect(try emulator.control("line-speed 3000000").status == 0) // about 10 s
        guard let disk = try Self.smallDisk(5 << 20) else { return }
        defer { Self.unmount(disk) }
        let output = disk + "/box.mfpbox"
        let environment = ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": emulator.dataDirectory]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.arguments = ["box-backup", "--device", emulator.address, "-o", output]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        // Once a checkpoint is durable, something else fills the disk.
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline,
            ((try? FileManager.default.attributesOfItem(atPath: output + ".part.ckpt"))?[.size] as? Int ?? 0) == 0
        {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(process.isRunning, "the backup finished before the disk filled up")
        let filler = FileManager.default.createFile(atPath: disk + "/filler", contents: nil)
        #expect(filler)
        if let handle = FileHandle(forWritingAtPath: disk + "/filler") {
            let block = Data(count: 64 << 10)
            while (try? handle.write(contentsOf: block)) != nil {}
            try? handle.close()
        }
        process.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1, "\(said)")
        #expect(said.contains("full") || said.contains("No space"), "\(said)")
        // Released at once: the machine is free as soon as the command has ended.
        #expect(try reserved(emulator) == false)
        let listed = try CommandRunner.run(["resume", "--list"], environment: environment)
        #expect(listed.stdout.contains("kept: \(output).part"), "\(listed.stdout)")

        try FileManager.default.removeItem(atPath: disk + "/filler")
        #expect(try emulator.control("line-speed off").status == 0)
        let rerun = try CommandRunner.run(["box-backup", "--device", emulator.address, "-o", output], environment: environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("resumed at byte"), "\(rerun.stdout)")
        #expect(try CommandRunner.run(["verify", output]).status == 0)
    }
}
