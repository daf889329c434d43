import Foundation
import MFPTestTools
import Testing

/// Issue 5, "unplug and replug during a transfer must resume to a byte-identical result": box
/// backups and restores (the large, resumable payload) over a `usb:` address, with the device
/// unplugged on the emulated bus once a checkpoint is durable and plugged back in (same serial).
/// Run with scripts/usb-tests; anywhere else every test here is skipped with the reason.
///
/// Nested in `USBLinkTests`, whose `.serialized` covers nested suites: every test resets the one
/// emulated bus, so these must never run beside the link tests.
extension USBLinkTests {
    @Suite(.serialized, .enabled(if: USBHarness.shared != nil, Comment(rawValue: USBHarness.unavailableReason ?? "")))
    struct USBResumeTests {
        static let profile = "aurora-c5540"
        static let address = "usb:3a5c:0c55:AUR5540-000731"
        /// Large enough that a checkpoint (every 64 MiB or 2 s) is durable with at least a third of
        /// the transfer still to come; about 2 s per full transfer under the harness.
        static let boxSize: UInt64 = 192 << 20

        let harness: USBHarness
        let state: String
        let folder: String
        let environment: [String: String]

        init() throws {
            harness = try #require(USBHarness.shared)
            try harness.reset()
            state = try harness.emulatorState(profile: Self.profile)
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-usb-resume-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            environment = ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": folder + "/data"]
        }

        /// Removes the test's files and gives the emulated machine a small generated box again (the
        /// big one and any imported content are dropped, so later tests start light).
        func cleanUp() {
            try? FileManager.default.removeItem(atPath: folder)
            _ = try? emulateCtl(["box", "size", "\(1 << 20)"])
        }

        /// The device's side of a box backup: the emulated machine journals each checkpoint the host
        /// acknowledges (STATE/box/export.journal). A resume needs the checkpoint on both sides: the
        /// host's FILE.part.ckpt is written before its acknowledgement is even sent, so an unplug
        /// right then legitimately starts over from byte 0.
        var exportJournal: String { state + "/box/export.journal" }

        @discardableResult
        func emulateCtl(_ words: [String]) throws -> String {
            let result = try CLI.run(["emulate-ctl", "--state", state] + words)
            guard result.status == 0 else { throw HarnessError("emulate-ctl \(words.joined(separator: " ")): \(result.stderr)") }
            return result.stdout
        }

        /// The chain hash of the machine's box content (`emulate-ctl digests`, box-documents.sha256).
        func boxDigest() throws -> String {
            let object = try JSONSerialization.jsonObject(with: Data(try emulateCtl(["digests"]).utf8)) as? [String: Any]
            return try #require((object?["box-documents"] as? [String: Any])?["sha256"] as? String)
        }

        /// An uninterrupted box backup of the machine's current content.
        func reference(_ name: String) throws -> String {
            let path = folder + "/" + name
            let started = ContinuousClock.now
            let result = try CLI.run(["box-backup", "--device", Self.address, "-o", path], environment: environment)
            try #require(result.status == 0, "reference backup: \(result.stderr)")
            try #require(!result.stdout.contains("resumed"), "the reference backup resumed something: \(result.stdout)")
            print("reference box backup of \(Self.boxSize >> 20) MiB over usb: \(ContinuousClock.now - started)")
            return path
        }

        /// Waits until each file is larger than its `beyond` size while `command` still runs (a
        /// checkpoint is durable on both sides mid-transfer), then unplugs the device; returns when
        /// the unplug began. Fails if the transfer ended first.
        @discardableResult
        func unplugOnceDurable(
            _ files: [(path: String, beyond: UInt64)], of command: BackgroundCommand,
            busPath: String
        ) throws -> ContinuousClock.Instant {
            let deadline = ContinuousClock.now + .seconds(30)
            func durable() -> Bool { files.allSatisfy { fileSize($0.path) > $0.beyond } }
            while ContinuousClock.now < deadline, command.process.isRunning, !durable() { usleep(5_000) }
            try #require(durable(), "no durable checkpoint in \(files.map(\.path)) within 30 s: \(command.output)")
            try #require(
                command.process.isRunning,
                "the transfer ended before it could be interrupted (make boxSize larger): \(command.output)")
            let unplugged = ContinuousClock.now
            try harness.unplug(busPath)
            return unplugged
        }

        func fileSize(_ path: String) -> UInt64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64) ?? 0
        }

        /// Whether the first `count` bytes of the two files are identical (the preamble and the
        /// payload: a box backup ends with a trailer whose createdAt differs between runs).
        func samePrefix(_ a: String, _ b: String, count: UInt64) throws -> Bool {
            let first = try #require(FileHandle(forReadingAtPath: a)), second = try #require(FileHandle(forReadingAtPath: b))
            defer { try? first.close(); try? second.close() }
            var left = count
            while left > 0 {
                let piece = Int(min(left, 8 << 20))
                let x = try first.read(upToCount: piece) ?? Data(), y = try second.read(upToCount: piece) ?? Data()
                guard x.count == piece, x == y else { return false }
                left -= UInt64(piece)
            }
            return true
        }

        /// The byte offset in "..., resumed at byte N." (nil if absent).
        func resumedAt(_ text: String) -> UInt64? {
            guard let range = text.range(of: "resumed at byte ") else { return nil }
            return UInt64(text[range.upperBound...].prefix { $0.isNumber })
        }

        /// A finished backup: the payload is byte-identical to the reference, `verify` passes and
        /// nothing of the part files is left.
        func expectIdentical(_ path: String, to reference: String) throws {
            #expect(fileSize(path) == fileSize(reference))
            #expect(try samePrefix(path, reference, count: 16 + Self.boxSize), "\(path) differs from the uninterrupted backup")
            let verify = try CLI.run(["verify", path])
            #expect(verify.status == 0, "verify: \(verify.stdout) \(verify.stderr)")
            #expect(!FileManager.default.fileExists(atPath: path + ".part"))
            #expect(!FileManager.default.fileExists(atPath: path + ".part.ckpt"))
        }

        @Test("unplug during a box backup, replug: with --wait the backup resumes and ends byte-identical to an uninterrupted one")
        func backupResumesWithWait() throws {
            defer { cleanUp() }
            let busPath = try harness.plug(profile: Self.profile)
            try emulateCtl(["box", "size", "\(Self.boxSize)"])
            let reference = try reference("reference.box")

            let output = folder + "/resumed.box"
            let started = ContinuousClock.now
            let deviceJournal = fileSize(exportJournal)
            let backup = try BackgroundCommand(["box-backup", "--device", Self.address, "-o", output, "--wait"], environment: environment)
            defer { backup.stop() }
            let unplugged = try unplugOnceDurable(
                [(output + ".part.ckpt", 0), (exportJournal, deviceJournal)], of: backup, busPath: busPath)
            // The command notices the unplug and waits (it does not fail) while the device is away.
            let waiting = backup.waitForLine(timeout: .seconds(15)) { $0.contains("Waiting for the device to return") }
            #expect(waiting != nil, "\(backup.output)")
            #expect(backup.output.contains { $0.contains("interrupted") && $0.contains("unplugged") }, "\(backup.output)")
            print("box backup noticed the unplug after \(ContinuousClock.now - unplugged)")
            usleep(1_000_000)
            #expect(backup.process.isRunning, "--wait gave up while the device was away: \(backup.output)")
            // The same machine again (same serial), at a new device number as on real hardware.
            _ = try harness.plug(profile: Self.profile)

            let status = backup.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "\(backup.output)")
            let done = backup.waitForLine(timeout: .seconds(5)) { $0.hasPrefix("Backed up") }
            let offset = try #require(done.flatMap(resumedAt), "the backup did not say it resumed: \(backup.output)")
            #expect(offset > 0 && offset < Self.boxSize, "resumed at \(offset)")
            print("box backup with --wait, unplugged and replugged: \(ContinuousClock.now - started), resumed at byte \(offset)")
            try expectIdentical(output, to: reference)
        }

        @Test("unplug during a box backup without --wait: exit 8, says to run again; the rerun after replug resumes, byte-identical")
        func backupInterruptedThenRerun() throws {
            defer { cleanUp() }
            let busPath = try harness.plug(profile: Self.profile)
            try emulateCtl(["box", "size", "\(Self.boxSize)"])
            let reference = try reference("reference.box")

            let output = folder + "/resumed.box"
            let deviceJournal = fileSize(exportJournal)
            let backup = try BackgroundCommand(["box-backup", "--device", Self.address, "-o", output], environment: environment)
            defer { backup.stop() }
            let unplugged = try unplugOnceDurable(
                [(output + ".part.ckpt", 0), (exportJournal, deviceJournal)], of: backup, busPath: busPath)
            let status = backup.waitForExit(timeout: .seconds(20))
            #expect(status == 8, "\(backup.output)")
            print("box backup ended (exit \(status.map(String.init) ?? "none")) \(ContinuousClock.now - unplugged) after the unplug")
            let message = backup.waitForLine(timeout: .seconds(5)) { $0.contains("interrupted") }
            #expect(message?.contains("unplugged") == true, "\(backup.output)")
            #expect(message?.contains("run the same command again") == true, "\(backup.output)")
            #expect(!FileManager.default.fileExists(atPath: output), "an interrupted backup was published")
            #expect(fileSize(output + ".part.ckpt") > 0)

            // While the device is away, a rerun cannot start (exit 3) and keeps what is durable.
            let away = try CLI.run(["box-backup", "--device", Self.address, "-o", output], environment: environment)
            #expect(away.status == 3, "\(away.stderr)")
            #expect(fileSize(output + ".part.ckpt") > 0)

            _ = try harness.plug(profile: Self.profile)
            let rerun = try CLI.run(["box-backup", "--device", Self.address, "-o", output], environment: environment)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let offset = try #require(resumedAt(rerun.stdout), "the rerun did not say it resumed: \(rerun.stdout)")
            #expect(offset > 0 && offset < Self.boxSize, "resumed at \(offset)")
            try expectIdentical(output, to: reference)
        }

        @Test("unplug during a box restore, replug: resumes; the device ends with exactly the new content")
        func restoreResumesWithWait() throws {
            defer { cleanUp() }
            let busPath = try harness.plug(profile: Self.profile)
            // The backup to restore: the machine's content of boxSize bytes (A).
            try emulateCtl(["box", "size", "\(Self.boxSize)"])
            let wanted = try boxDigest()
            let backup = try reference("restore-me.box")
            // The machine now holds other content (B), which the restore replaces.
            try emulateCtl(["box", "size", "\(Self.boxSize / 2)"])
            let before = try boxDigest()
            try #require(before != wanted)

            let journal = folder + "/data/journals/AUR5540-000731.box-restore.journal"
            let started = ContinuousClock.now
            let restore = try BackgroundCommand(
                ["box-restore", "--device", Self.address, backup, "--yes", "--wait"],
                environment: environment)
            defer { restore.stop() }
            // The host journals a checkpoint when the device acknowledges it, which the device does
            // only once its staging is durable: one file tells for both sides.
            try unplugOnceDurable([(journal, 0)], of: restore, busPath: busPath)
            let waiting = restore.waitForLine(timeout: .seconds(15)) { $0.contains("Waiting for the device to return") }
            #expect(waiting != nil, "\(restore.output)")
            #expect(restore.output.contains { $0.contains("interrupted") && $0.contains("unplugged") }, "\(restore.output)")
            // Nothing was applied while the device was away: it still holds B, whole.
            #expect(try boxDigest() == before)
            usleep(1_000_000)
            _ = try harness.plug(profile: Self.profile)

            let status = restore.waitForExit(timeout: .seconds(40))
            #expect(status == 0, "\(restore.output)")
            let done = restore.waitForLine(timeout: .seconds(5)) { $0.hasPrefix("Restored") }
            let offset = try #require(done.flatMap(resumedAt), "the restore did not say it resumed: \(restore.output)")
            #expect(offset > 0 && offset < Self.boxSize, "resumed at \(offset)")
            print("box restore with --wait, unplugged and replugged: \(ContinuousClock.now - started), resumed at byte \(offset)")
            #expect(try boxDigest() == wanted, "the machine does not hold exactly the restored content")
            #expect(!FileManager.default.fileExists(atPath: state + "/box/staging.part"))
        }
    }
}
