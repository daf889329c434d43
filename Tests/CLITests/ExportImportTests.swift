import Foundation
import Testing

/// Export and import end to end: the built binary against emulators on ptys (issue 3's checks).
@Suite("mfpbridge export and import over a pty", .serialized)
struct ExportImportTests {
    let work: String

    init() throws {
        work = try CommandRunner.temporaryDirectory()
    }

    func run(
        _ emulator: RunningEmulator, _ arguments: [String], stdin: String? = nil,
        bundlePassword: String? = nil
    ) throws -> CommandRunner.Result {
        var environment = ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": emulator.dataDirectory]
        if let bundlePassword { environment["MFPBRIDGE_BUNDLE_PASSWORD"] = bundlePassword }
        return try CommandRunner.run(arguments, environment: environment, stdin: stdin)
    }

    func export(
        _ emulator: RunningEmulator, _ name: String, _ categories: [String] = ["--all"],
        password: String? = nil
    ) throws -> String {
        let path = "\(work)/\(name).mfpb"
        let result = try run(emulator, ["export", "--device", emulator.address] + categories + ["-o", path], bundlePassword: password)
        #expect(result.status == 0, "export failed: \(result.stderr)")
        return path
    }

    func importing(_ emulator: RunningEmulator, _ bundle: String, _ extra: [String] = [], password: String? = nil) throws
        -> CommandRunner.Result
    {
        try run(emulator, ["import", "--device", emulator.address, bundle, "--yes"] + extra, bundlePassword: password)
    }

    func digests(_ emulator: RunningEmulator) throws -> String {
        let result = try emulator.control("digests")
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test("Round trip into the same machine: nothing changes, the report says so, history records it")
    func sameMachine() throws {
        let device = try RunningEmulator()
        let before = try digests(device)
        let bundle = try export(device, "same")
        let verify = try CommandRunner.run(["verify", bundle])
        #expect(verify.status == 0, "\(verify.stderr)")
        let result = try importing(device, bundle)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("0 overwritten, 0 added"))
        #expect(try digests(device) == before)
        let history = try run(device, ["history", "--json"])
        #expect(history.stdout.contains("\"operation\" : \"import\""))
        #expect(history.stdout.contains("\"operation\" : \"export\""))
        #expect(!history.stdout.contains("7654321"))
    }

    @Test("inspect: the header without a password; per-category digests equal for two exports of unchanged settings")
    func inspectDigests() throws {
        let device = try RunningEmulator()
        let plain = try export(device, "first", ["--category", "address-book", "--category", "paper-types"])
        let sealed = try export(device, "second", ["--category", "address-book", "--category", "paper-types"], password: "pw-123")
        let headerOnly = try CommandRunner.run(["inspect", sealed, "--json"], environment: ["MFPBRIDGE_BUNDLE_PASSWORD": ""])
        #expect(headerOnly.status == 0, "\(headerOnly.stderr)")
        #expect(headerOnly.stdout.contains("Aurora C5540i"))
        func digests(_ path: String, _ password: String?) throws -> [String: String] {
            let result = try CommandRunner.run(["inspect", path, "--json"], environment: ["MFPBRIDGE_BUNDLE_PASSWORD": password ?? ""])
            #expect(result.status == 0, "\(result.stderr)")
            let text = result.stdout
            var found: [String: String] = [:]
            for name in ["address-book", "paper-types"] {
                let pattern = try Regex("\"category\" : \"\(name)\"[^}]*\"digest\" : \"([0-9a-f]{64})\"")
                if let match = text.firstMatch(of: pattern), let digest = match.output[1].substring {
                    found[name] = String(digest)
                }
            }
            return found
        }
        let first = try digests(plain, nil)
        #expect(first.count == 2, "no digests in inspect --json")
        #expect(first == (try digests(sealed, "pw-123")))
    }

    @Test("R2, R3: an import overwrites, snapshots first, and rollback restores the old settings")
    func importAndRollback() throws {
        // Machines generate their data from their serial number: the two address books differ.
        let source = try RunningEmulator(profile: "aurora-c5540")
        let target = try RunningEmulator(profile: "aurora-c5560")
        let bundle = try export(source, "c5540-book", ["--category", "address-book"])
        let before = try digests(target)
        let dryRun = try run(target, ["import", "--device", target.address, bundle, "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("Dry run"))
        #expect(try digests(target) == before, "a dry run changed the machine")
        let noConfirmation = try run(target, ["import", "--device", target.address, bundle])
        #expect(noConfirmation.status == 2)
        #expect(noConfirmation.stderr.contains("--yes"))
        #expect(try digests(target) == before)
        let applied = try importing(target, bundle)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("Snapshot of the overwritten settings"))
        #expect(try digests(target) != before)
        let rollback = try run(target, ["rollback", "--device", target.address, "--yes"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(try digests(target) == before)
    }

    @Test("R3: an import whose commit answer is lost asks again: exit 0, the machine has the new settings, applied once")
    func lostCommitAnswer() throws {
        let source = try RunningEmulator(profile: "aurora-c5540")
        let target = try RunningEmulator(profile: "aurora-c5560")
        let bundle = try export(source, "lost-answer", ["--category", "address-book"])
        let before = try digests(target)
        #expect(try target.control("lose-answer import-commit").status == 0)
        let applied = try importing(target, bundle)
        #expect(applied.status == 0, "a lost commit answer ended as a failure: \(applied.stderr)")
        let after = try digests(target)
        #expect(after != before)
        // The same bundle again changes nothing more: the first apply was whole.
        #expect(try importing(target, bundle).status == 0)
        #expect(try digests(target) == after)
    }

    @Test("R9: into the series sibling, class A categories are skipped and named; class B and C import")
    func seriesSibling() throws {
        let source = try RunningEmulator(profile: "aurora-c5540")
        let target = try RunningEmulator(profile: "aurora-c5560")
        let bundle = try export(source, "c5540-all")
        let result = try run(target, ["import", "--device", target.address, bundle, "--dry-run", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try decodeJSON(result.stdout)
        let categories = try #require(report["categories"] as? [[String: Any]])
        func plan(_ name: String) -> [String: Any]? { categories.first { $0["category"] as? String == name } }
        #expect(plan("settings-registration")?["applied"] as? Bool == false)
        #expect(plan("certificates")?["applied"] as? Bool == false)
        #expect(plan("address-book")?["applied"] as? Bool == true)
        #expect(plan("paper-types")?["applied"] as? Bool == true)
        // R10: the sibling has a security-policy password, the source none: the policy is not imported.
        #expect((plan("security-policy")?["skipReason"] as? [String: Any])?["rule"] as? String == "R10")
    }

    @Test("R7: a machine of another display language is refused with exit 7 and stays unchanged")
    func otherLanguage() throws {
        let source = try RunningEmulator(profile: "aurora-c5540")
        let target = try RunningEmulator(profile: "meridian-m3200")
        let bundle = try export(source, "en", ["--category", "address-book"])
        let before = try digests(target)
        let result = try importing(target, bundle)
        #expect(result.status == 7)
        #expect(result.stderr.contains("R7"))
        #expect(result.stderr.contains("en-US") && result.stderr.contains("de-DE"))
        #expect(try digests(target) == before)
    }

    @Test("R8: an edited byte or a truncated bundle is refused with exit 6 before the machine is touched")
    func damagedBundle() throws {
        let device = try RunningEmulator()
        let bundle = try export(device, "book", ["--category", "address-book"])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bundle)))
        let before = try digests(device)
        bytes[bytes.count / 2] ^= 0x20
        let edited = work + "/edited.mfpb"
        try Data(bytes).write(to: URL(fileURLWithPath: edited))
        let result = try importing(device, edited)
        #expect(result.status == 6, "\(result.stderr)")
        let truncated = work + "/truncated.mfpb"
        try Data(bytes.prefix(bytes.count - 100)).write(to: URL(fileURLWithPath: truncated))
        #expect(try importing(device, truncated).status == 6)
        #expect(try CommandRunner.run(["verify", edited]).status == 6)
        #expect(try digests(device) == before)
    }

    @Test("R13: a password-protected bundle needs its password; a wrong one fails cleanly with exit 6")
    func bundlePassword() throws {
        let device = try RunningEmulator()
        let bundle = try export(device, "secret", ["--category", "address-book"], password: "s3cret-bundle")
        let before = try digests(device)
        let wrong = try importing(device, bundle, password: "not-it")
        #expect(wrong.status == 6)
        #expect(wrong.stderr.lowercased().contains("password"))
        #expect(try digests(device) == before)
        #expect(try importing(device, bundle, password: "s3cret-bundle").status == 0)
    }

    @Test("R5: a job or an error code refuses the import with exit 4; the machine stays unchanged")
    func busyMachine() throws {
        let device = try RunningEmulator()
        let bundle = try export(device, "busy", ["--category", "address-book"])
        #expect(try device.control("job start fax").status == 0)
        let before = try digests(device)
        let result = try importing(device, bundle)
        #expect(result.status == 4)
        #expect(result.stderr.contains("job-running:fax"))
        #expect(try device.control("job finish all").status == 0)
        #expect(try device.control("error raise E602-0001").status == 0)
        #expect(try importing(device, bundle).status == 4)
        #expect(try run(device, ["export", "--device", device.address, "--all", "-o", work + "/no.mfpb"]).status == 4)
        #expect(!FileManager.default.fileExists(atPath: work + "/no.mfpb"))
        #expect(try digests(device) == before)
    }

    @Test("R11: a sync client refuses to import personal settings; exports need conditions (a) and (b)")
    func settingsSync() throws {
        let device = try RunningEmulator(profile: "meridian-m3200") // a sync client
        let bundle = try export(device, "personal", ["--category", "personal-settings"])
        #expect(try device.control("sync state running").status == 0)
        let before = try digests(device)
        let imported = try importing(device, bundle)
        #expect(imported.status == 7 || imported.status == 4, "\(imported.stderr)")
        #expect(imported.stderr.contains("R11") || imported.stderr.contains("R5"))
        #expect(try digests(device) == before)
        let exported = try run(
            device, ["export", "--device", device.address, "--category", "user-group-address-lists:05", "-o", work + "/one.mfpb"])
        #expect(exported.status == 7)
        #expect(exported.stderr.contains("one by one"))
    }
}
