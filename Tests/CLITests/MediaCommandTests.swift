import Foundation
import MFPTestTools
import Testing

/// Backups to and from media (`--to-media`, `--from-media`, `media backups`, `media put`) on real
/// file systems of this machine's kernel: a folder, and, as root, ext4 on a loop device and exFAT
/// through FUSE (exfat-fuse) filled up, made read-only and "pulled" (the loop device shrunk to
/// nothing, the FUSE connection aborted) at a chosen moment of the write. vfat and exFAT in a real
/// kernel, with a real usb-storage stick pulled, are the HIL rig's (tests-harness/hil/scenarios).
@Suite("mfpbridge and USB memory media", .serialized)
struct MediaCommandTests {
    let data: String
    let environment: [String: String]

    init() throws {
        data = try CommandRunner.temporaryDirectory()
        environment = ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": data]
    }

    func run(_ arguments: [String], extra: [String: String] = [:]) throws -> CommandRunner.Result {
        try CommandRunner.run(arguments, environment: environment.merging(extra) { $1 })
    }

    func backups(_ folder: String) throws -> (backups: [[String: Any]], incomplete: [[String: Any]]) {
        let listing = try run(["media", "backups", folder, "--json"])
        #expect(listing.status == 0, "\(listing.stderr)")
        let json = try decodeJSON(listing.stdout)
        return (json["backups"] as? [[String: Any]] ?? [], json["incomplete"] as? [[String: Any]] ?? [])
    }

    /// A box backup made on this computer, to put on media.
    func boxBackup() throws -> String {
        let file = data + "/box.mfpbox"
        let made = try run(["box-backup", "--device", "emulated:aurora-c5540", "-o", file])
        #expect(made.status == 0, "\(made.stderr)")
        return file
    }

    @Test("export, box-backup, import and box-restore through a folder named as the medium")
    func roundTripThroughAFolder() throws {
        let stick = try CommandRunner.temporaryDirectory()
        let export = try run(["export", "--device", "emulated:aurora-c5540", "--all", "--to-media", stick])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("read back from the stick and verified"), "\(export.stdout)")
        let box = try run(["box-backup", "--device", "emulated:aurora-c5540", "--to-media", stick])
        #expect(box.status == 0, "\(box.stderr)")
        let listed = try backups(stick)
        #expect(listed.backups.count == 2 && listed.incomplete.isEmpty, "\(listed)")
        let names = listed.backups.compactMap { $0["name"] as? String }
        #expect(names.contains { $0.hasPrefix("AUR5540-000731_Aurora_C5540i_") && $0.hasSuffix(".mfpb") }, "\(names)")
        #expect(names.contains { $0.hasSuffix(".mfpbox") }, "\(names)")
        // Nothing is left behind on this computer once the stick's copy verified.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/media/outgoing").isEmpty)
        for name in names { #expect(try run(["verify", "\(stick)/mfpbridge/\(name)"]).status == 0) }

        let imported = try run(["import", "--device", "emulated:aurora-c5540", "--from-media", stick, "--latest", "--yes"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let restore = try run([
            "box-restore", "--device", "emulated:aurora-c5540", "--from-media", stick, "--pick",
            try #require(names.first { $0.hasSuffix(".mfpbox") }),
            "--yes",
        ])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/media/incoming").isEmpty)

        let unchosen = try run(["import", "--device", "emulated:aurora-c5540", "--from-media", stick])
        #expect(unchosen.status == 2 && unchosen.stderr.contains("--pick NAME or --latest"), "\(unchosen.stderr)")
        let otherMachine = try run(["import", "--device", "emulated:meridian-m3200", "--from-media", stick, "--latest", "--dry-run"])
        #expect(otherMachine.status == 2, "\(otherMachine.stderr)")
        #expect(otherMachine.stderr.contains("no settings backup of the machine"), "\(otherMachine.stderr)")
        let unknown = try run(["box-restore", "--device", "emulated:aurora-c5540", "--from-media", stick, "--pick", "nope.mfpbox", "--yes"])
        #expect(unknown.status == 2 && unknown.stderr.contains("media backups"), "\(unknown.stderr)")
    }

    @Test("R8: what a pull leaves is listed as incomplete, never as a backup, and --clean removes only that")
    func incompleteFilesAreNeverBackups() throws {
        let stick = try CommandRunner.temporaryDirectory()
        let file = try boxBackup()
        #expect(try run(["media", "put", file, stick]).status == 0)
        let again = try run(["media", "put", file, stick])
        #expect(again.status == 1 && again.stderr.contains("already there"), "the same backup was put twice: \(again.stderr)")
        let folder = stick + "/mfpbridge"
        let good = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(good)"))
        // A vfat pull right after the rename: the name, with size 0. A pull mid-write: the partial
        // name. A file cut short, and one with its trailer edited.
        _ = FileManager.default.createFile(atPath: "\(folder)/AUR5540-000731_Aurora_C5540i_20260101-000000.mfpbox", contents: Data())
        _ = FileManager.default.createFile(
            atPath: "\(folder)/.AUR5540-000731_Aurora_C5540i_20260101-000001.mfpbox.partial", contents: bytes.prefix(4096))
        _ = FileManager.default.createFile(
            atPath: "\(folder)/AUR5540-000731_Aurora_C5540i_20260101-000002.mfpbox", contents: bytes.prefix(bytes.count / 2))
        var edited = bytes
        edited[edited.count - 40] ^= 0x01
        _ = FileManager.default.createFile(atPath: "\(folder)/AUR5540-000731_Aurora_C5540i_20260101-000003.mfpbox", contents: edited)
        _ = FileManager.default.createFile(atPath: "\(folder)/notes.txt", contents: Data("not ours".utf8))
        let listed = try backups(stick)
        #expect(listed.backups.compactMap { $0["name"] as? String } == [good], "\(listed.backups)")
        #expect(listed.incomplete.count == 4, "\(listed.incomplete)")
        let reasons = listed.incomplete.compactMap { $0["reason"] as? String }.joined(separator: " | ")
        #expect(reasons.contains("empty") && reasons.contains("partial"), "\(reasons)")
        let pick = try run([
            "box-restore", "--device", "emulated:aurora-c5540", "--from-media", stick, "--pick",
            "AUR5540-000731_Aurora_C5540i_20260101-000002.mfpbox", "--yes",
        ])
        #expect(pick.status == 2 && pick.stderr.contains("not a complete backup"), "\(pick.stderr)")
        let cleaned = try run(["media", "backups", stick, "--clean"])
        #expect(cleaned.status == 0, "\(cleaned.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == [good, "notes.txt"])
        #expect(try run(["verify", "\(folder)/\(good)"]).status == 0)
    }

    @Test(
        "no stick plugged in: exit 3 and what to do",
        .enabled(if: MediaCommandTests.noUSBMedia(), Comment(rawValue: "a USB stick is plugged into this machine")))
    func noStick() throws {
        let export = try run(["export", "--device", "emulated:aurora-c5540", "--all", "--to-media"])
        #expect(export.status == 3, "\(export.stderr)")
        #expect(export.stderr.contains("no USB stick is plugged in"), "\(export.stderr)")
        let listing = try run(["media", "backups"])
        #expect(listing.status == 3, "\(listing.stderr)")
    }

    static func noUSBMedia() -> Bool {
        guard let listing = try? CommandRunner.run(["media", "--json"]), let json = try? decodeJSON(listing.stdout) else { return false }
        return (json["media"] as? [Any])?.isEmpty == true
    }

    // MARK: - Real file systems (root: loop devices, mount, FUSE)

    @Test("a stick too small: refused before a byte is written", .enabled(if: ScratchMedium.usable, ScratchMedium.why))
    func fullBeforeWriting() throws {
        let file = try boxBackup() // 8 MiB
        let medium = try ScratchMedium(.ext4, mib: 6)
        defer { medium.remove() }
        let put = try run(["media", "put", file, medium.mountPoint])
        #expect(put.status == 1, "\(put.stderr)")
        #expect(put.stderr.contains("the stick is full") && put.stderr.contains("nothing was written"), "\(put.stderr)")
        let left = try medium.files()
        #expect(left.isEmpty, "something was written: \(left)")
    }

    @Test(
        "R3: the stick fills up mid-write: no partial file, the earlier backup intact",
        .enabled(if: ScratchMedium.usable, ScratchMedium.why))
    func fullMidWrite() throws {
        let file = try boxBackup()
        let medium = try ScratchMedium(.ext4, mib: 28)
        defer { medium.remove() }
        #expect(try run(["media", "put", file, medium.mountPoint]).status == 0)
        let earlier = try medium.files()
        let export = try BackgroundPut(self, file: try reseal(file), into: medium.mountPoint, pauseAt: "writing")
        // Half of it written: something else takes what is left.
        try #require(export.paused(), "the writer never reached the pause")
        try ScratchMedium.sh("fallocate -l $(( $(stat -f -c '%a*%S' \(medium.mountPoint)) - 4096 )) \(medium.mountPoint)/filler")
        let status = export.finish()
        #expect(status == 1, "\(export.output)")
        #expect(export.output.contains("the stick is full") && export.output.contains("nothing was written"), "\(export.output)")
        try ScratchMedium.sh("rm \(medium.mountPoint)/filler")
        #expect(try medium.files() == earlier, "a partial file was left")
        #expect(try run(["verify", "\(medium.folder)/\(earlier[0])"]).status == 0)
    }

    @Test("a read-only stick: refused, nothing written", .enabled(if: ScratchMedium.usable, ScratchMedium.why))
    func readOnly() throws {
        let file = try boxBackup()
        let medium = try ScratchMedium(.ext4, mib: 28)
        defer { medium.remove() }
        #expect(try run(["media", "put", file, medium.mountPoint]).status == 0)
        try ScratchMedium.sh("mount -o remount,ro \(medium.mountPoint)")
        let put = try run(["media", "put", try reseal(file), medium.mountPoint])
        #expect(put.status == 1 && put.stderr.contains("read-only"), "\(put.stderr)")
        let listed = try backups(medium.mountPoint)
        #expect(listed.backups.count == 1, "the backup made before is no longer listed: \(listed)")
    }

    @Test(
        "R3: a stick that stops answering mid-write (ext4 on a loop device shrunk to nothing): said as removed",
        .enabled(if: ScratchMedium.usable, ScratchMedium.why))
    func pulledLoop() throws {
        let file = try boxBackup()
        let medium = try ScratchMedium(.ext4, mib: 28)
        defer { medium.remove() }
        let put = try BackgroundPut(self, file: file, into: medium.mountPoint, pauseAt: "writing")
        try #require(put.paused(), "the writer never reached the pause")
        try medium.pull()
        let status = put.finish()
        #expect(status == 1, "\(put.output)")
        #expect(put.output.contains("the stick was removed (or stopped answering)"), "\(put.output)")
        #expect(!put.output.contains("verified"), "\(put.output)")
    }

    @Test(
        "R3: exFAT and FAT through FUSE, the connection aborted mid-write: said as removed; remounted, nothing incomplete is a backup",
        .enabled(if: ScratchMedium.usable && ScratchMedium.hasFuse, Comment(rawValue: "needs root, loop devices, exfat-fuse and fusefat")),
        arguments: [ScratchMedium.Kind.exfatFuse, .fatFuse])
    func pulledFuse(_ kind: ScratchMedium.Kind) throws {
        let file = try boxBackup()
        let medium = try ScratchMedium(kind, mib: 32)
        defer { medium.remove() }
        #expect(try run(["media", "put", file, medium.mountPoint]).status == 0)
        let put = try BackgroundPut(self, file: try reseal(file), into: medium.mountPoint, pauseAt: "writing")
        try #require(put.paused(), "the writer never reached the pause")
        try medium.pull()
        let status = put.finish()
        #expect(status == 1, "\(put.output)")
        #expect(put.output.contains("the stick was removed (or stopped answering)"), "\(put.output)")
        try medium.replug()
        let listed = try backups(medium.mountPoint)
        #expect(listed.backups.count == 1, "\(listed)")
        let name = try #require(listed.backups.first?["name"] as? String)
        #expect(try run(["verify", "\(medium.folder)/\(name)"]).status == 0)
    }

    /// The same box documents backed up again a second later: another backup (another name).
    func reseal(_ file: String) throws -> String {
        Thread.sleep(forTimeInterval: 1.1)
        let again = data + "/box-2.mfpbox"
        try? FileManager.default.removeItem(atPath: again)
        let made = try run(["box-backup", "--device", "emulated:aurora-c5540", "-o", again])
        #expect(made.status == 0, "\(made.stderr)")
        return again
    }
}

/// `mfpbridge media put` in the background, paused at a stage of the write (the rig's hook).
final class BackgroundPut {
    let process = Process()
    private let log: String

    init(_ tests: MediaCommandTests, file: String, into folder: String, pauseAt stage: String) throws {
        log = try CommandRunner.temporaryDirectory() + "/put.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.arguments = ["media", "put", file, folder]
        process.environment = ProcessInfo.processInfo.environment.merging(tests.environment) { $1 }.merging([
            "MFPBRIDGE_MEDIA_TEST_PAUSE": "\(stage):3"
        ]) { $1 }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    func paused() -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if output.contains("test pause:") { return true }
            if !process.isRunning { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    func finish() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A file system on a loop device of this machine's kernel, mounted in a temporary folder.
final class ScratchMedium {
    enum Kind: Sendable { case ext4, exfatFuse, fatFuse }

    let kind: Kind
    let image: String
    let loop: String
    let mountPoint: String
    var folder: String { mountPoint + "/mfpbridge" }
    private var fuseConnection: String?
    /// The FUSE daemons started for this medium (one per mount), stopped by remove().
    private var daemons: [Int32] = []

    static let usable: Bool =
        geteuid() == 0 && FileManager.default.fileExists(atPath: "/dev/loop-control")
        && (try? sh("command -v losetup mkfs.ext4 fallocate >/dev/null")) != nil
    static let hasFuse: Bool = (try? sh("command -v mount.exfat-fuse mkfs.exfat fusefat mkfs.vfat >/dev/null")) != nil
    static let why = Comment(rawValue: "needs root, loop devices, losetup, mkfs.ext4 and fallocate")

    init(_ kind: Kind, mib: Int) throws {
        self.kind = kind
        let work = try CommandRunner.temporaryDirectory()
        image = work + "/stick.img"
        mountPoint = work + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try Self.sh("truncate -s \(mib)M \(image)")
        loop = try Self.sh("losetup -f --show \(image)").trimmingCharacters(in: .whitespacesAndNewlines)
        try mount(format: true)
    }

    private func mount(format: Bool) throws {
        switch kind {
        case .ext4:
            if format { try Self.sh("mkfs.ext4 -q -F -m 0 \(loop)") }
            try Self.sh("mount \(loop) \(mountPoint)")
        case .exfatFuse, .fatFuse:
            if format { try Self.sh(kind == .exfatFuse ? "mkfs.exfat \(loop) >/dev/null" : "mkfs.vfat -F 32 \(loop) >/dev/null") }
            try Self.sh("mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections")
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: "/sys/fs/fuse/connections"))
            // The FUSE daemon stays: it must not inherit this process's pipes (it would hold them
            // open), so it is started with every descriptor but 0-2 closed (Python's close_fds).
            // Its PID (found by the mount point in its command line) is recorded and stopped by
            // remove().
            let daemon = kind == .exfatFuse ? "mount.exfat-fuse \(loop) \(mountPoint)" : "fusefat -o rw+ \(loop) \(mountPoint)"
            try Self.sh(
                "python3 -c 'import subprocess as s,sys; sys.exit(s.call(sys.argv[1:], stdin=s.DEVNULL, stdout=s.DEVNULL, stderr=s.DEVNULL))' \(daemon)"
            )
            let pid = try Self.sh("pgrep -n -f -- ' \(mountPoint)$'").trimmingCharacters(in: .whitespacesAndNewlines)
            daemons.append(try #require(Int32(pid), "no PID for the FUSE daemon on \(mountPoint)"))
            let after = Set(try FileManager.default.contentsOfDirectory(atPath: "/sys/fs/fuse/connections"))
            fuseConnection = after.subtracting(before).first
        }
    }

    /// The stick stops answering: the loop device shrunk to nothing (every I/O fails) or the FUSE
    /// connection aborted (ENOTCONN).
    func pull() throws {
        switch kind {
        case .ext4: try Self.sh("truncate -s 0 \(image) && losetup -c \(loop)")
        case .exfatFuse, .fatFuse:
            let connection = try #require(fuseConnection, "the FUSE connection of the mount was not found")
            try Self.sh("echo 1 > /sys/fs/fuse/connections/\(connection)/abort")
        }
    }

    /// Mounted again after a FUSE abort (the image itself is intact).
    func replug() throws {
        try Self.sh("umount \(mountPoint) || umount -l \(mountPoint)")
        try mount(format: false)
    }

    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func remove() {
        _ = try? Self.sh("umount \(mountPoint) 2>/dev/null || umount -l \(mountPoint)")
        // Only a daemon still serving this mount point (a PID is never taken on trust).
        for pid in daemons where (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.contains(mountPoint) == true {
            kill(pid, SIGKILL)
        }
        _ = try? Self.sh("losetup -d \(loop)")
        try? FileManager.default.removeItem(atPath: image)
    }

    @discardableResult
    static func sh(_ command: String) throws -> String {
        let result = try PackageTool.run("/bin/sh", ["-c", command])
        guard result.status == 0 else { throw CLIError("`\(command)` failed (\(result.status)): \(result.stderr)") }
        return result.stdout
    }
}
