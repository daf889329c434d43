import BridgeClient
import BridgeTransfer
import Foundation
import Glibc
import MFPKit
import Testing

@testable import MFPEmulator

/// Files holding settings or secrets are mode 0600 whatever the umask, and wider ones are narrowed.
@Suite struct PrivateFileModeTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    static func octal(_ mode: mode_t?) -> String { mode.map { String($0, radix: 8) } ?? "missing" }

    @Test("The emulator's state folder: settings.sqlite, its -wal and -shm, and state.json are 0600")
    func emulatorState() throws {
        let directory = try temporaryDirectory() + "/state"
        try DurableFile.makeDirectory(directory)
        do {
            let fixture = try EmulatorFixture(stateDirectory: directory)
            _ = try fixture.loggedIn()
            // Keep the store open: -wal and -shm exist only while it is.
            for name in ["settings.sqlite", "settings.sqlite-wal", "settings.sqlite-shm", "state.json"] {
                #expect(Self.octal(Self.mode("\(directory)/\(name)")) == "600", "\(name)")
            }
            #expect(Self.octal(Self.mode(directory)) == "700")
        }
        // Files an older version left readable by others are narrowed when the emulator starts again.
        for name in ["settings.sqlite", "settings.sqlite-wal", "settings.sqlite-shm", "state.json"]
        where FileManager.default.fileExists(atPath: "\(directory)/\(name)") {
            #expect(chmod("\(directory)/\(name)", 0o644) == 0)
        }
        let again = try EmulatorFixture(stateDirectory: directory)
        _ = try again.loggedIn()
        for name in ["settings.sqlite", "settings.sqlite-wal", "settings.sqlite-shm", "state.json"] {
            #expect(Self.octal(Self.mode("\(directory)/\(name)")) == "600", "\(name) after a restart")
        }
    }

    @Test("The history database is created 0600 and a wider one is narrowed")
    func history() throws {
        let directory = try temporaryDirectory() + "/data"
        let history = try History.open(dataDirectory: directory)
        try history.record(
            HistoryEntry(
                startedAt: Date(), finishedAt: Date(), operation: "export", device: "emulated:x",
                deviceSerial: nil, model: nil, user: "Administrator", categories: "", outcome: "succeeded",
                exitCode: 0, message: "ok", bundlePath: nil, snapshotPath: nil))
        #expect(Self.octal(Self.mode(directory + "/history.sqlite")) == "600")
        #expect(Self.octal(Self.mode(directory)) == "700")
        #expect(chmod(directory + "/history.sqlite", 0o644) == 0)
        _ = try History.open(dataDirectory: directory, purpose: .read).entries()
        #expect(Self.octal(Self.mode(directory + "/history.sqlite")) == "600")
    }

    @Test("PrivateFile and DurableFile set 0600 even under a umask that would allow more")
    func umaskIndependent() throws {
        let directory = try temporaryDirectory()
        // umask is process-wide: 022 is what the tests run with anyway, and what lets 0644 through.
        let saved = umask(0o022)
        defer { umask(saved) }
        try PrivateFile.create(directory + "/new.sqlite")
        #expect(Self.octal(Self.mode(directory + "/new.sqlite")) == "600")
        try DurableFile.write([1, 2, 3], to: directory + "/durable")
        #expect(Self.octal(Self.mode(directory + "/durable")) == "600")
        #expect(FileManager.default.createFile(atPath: directory + "/wide", contents: Data(), attributes: [.posixPermissions: 0o644]))
        try PrivateFile.restrict(directory + "/wide")
        #expect(Self.octal(Self.mode(directory + "/wide")) == "600")
        try DurableFile.makeDirectory(directory + "/a/b")
        #expect(Self.octal(Self.mode(directory + "/a/b")) == "700")
    }
}
