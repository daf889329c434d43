import Foundation
import MFPKit
import Testing

@testable import MFPEmulator

/// The emulator's settings store: exact round trips, durable staging, and R3's atomic apply.
@Suite struct SettingsStoreTests {
    static let profileName = "aurora-c5540"

    static func profile(_ name: String = profileName) throws -> DeviceProfile {
        try ProfileCatalog(directory: fixtureProfiles).load(name)
    }

    static func open(_ directory: String, seed: UInt64 = 1, profile name: String = profileName) throws -> SettingsStore {
        try SettingsStore(path: directory + "/settings.sqlite", profile: try profile(name), seed: seed)
    }

    static func digests(_ snapshot: SettingsSnapshot) -> [SettingCategory: String] {
        Dictionary(uniqueKeysWithValues: SettingCategory.allCases.map { ($0, CanonicalContent.digest(snapshot[$0])) })
    }

    static let all = Set(SettingCategory.allCases)

    @Test func aNewStoreHoldsTheFixtureExactly() throws {
        let directory = try temporaryDirectory()
        let clock = ContinuousClock()
        var store: SettingsStore?
        let created = try clock.measure { store = try Self.open(directory, seed: 7) }
        let expected = SettingsFixture.generate(profile: try Self.profile(), seed: 7)
        var snapshot = SettingsSnapshot()
        let read = try clock.measure { snapshot = try store!.snapshot(Self.all) }
        print("settings store: created and filled in \(created), full snapshot in \(read)")
        #expect(snapshot == expected)
        #expect(try store!.digests() == Self.digests(expected))
        #expect(try store!.counts() == expected.categories.mapValues(\.count))
        #expect(try store!.snapshot([.certificates, .securityPolicy]) == expected.restricted(to: [.certificates, .securityPolicy]))
        #expect(try store!.integrityCheck() == ["ok"])
    }

    @Test func reopeningKeepsTheContentAndRefusesAnotherProfile() throws {
        let directory = try temporaryDirectory()
        let before = try Self.open(directory, seed: 7).digests()
        // The seed only fills a new store; an existing one is the device's data.
        #expect(try Self.open(directory, seed: 8).digests() == before)
        let error = #expect(throws: EmulatorError.self) { try Self.open(directory, profile: "meridian-m3200") }
        #expect(error?.description.contains("belongs to profile aurora-c5540") == true)
    }

    @Test func oddRecordsRoundTripExactly() throws {
        let directory = try temporaryDirectory()
        let store = try Self.open(directory)
        let records = [
            SettingRecord(id: "ünïcode/名前", fields: ["name": "Zoë \"quoted\" \\ back/slash\nnew line\t tab", "": "empty key"]),
            SettingRecord(id: "empty-fields", fields: [:]),
            SettingRecord(id: "class-a", fields: ["value": ""], crossModelClass: .a),
            SettingRecord(id: "class-b", fields: ["value": "x"], crossModelClass: .b),
            SettingRecord(id: "class-c", fields: ["value": "x"], crossModelClass: .c),
            SettingRecord(id: "class-no", fields: ["value": "x"], crossModelClass: .no),
            SettingRecord(id: "emoji", fields: ["value": "🖨️ \u{0} nul"]),
        ]
        try store.stage(SettingsSnapshot(categories: [.buttons: records]), token: "odd")
        try store.applyStaged(token: "odd")
        let read = try store.snapshot([.buttons])[.buttons]
        #expect(read == records.sorted { $0.id < $1.id })
        #expect(try store.digests()[.buttons] == CanonicalContent.digest(records))
    }

    /// R3: a staged import survives a restart of the device, and only apply changes the settings.
    @Test func stagingSurvivesReopeningTheStore() throws {
        let directory = try temporaryDirectory()
        let incoming = SettingsFixture.generate(profile: try Self.profile(), seed: 2).restricted(to: [.addressBook, .personalSettings])
        let before: [SettingCategory: String]
        do {
            let store = try Self.open(directory)
            before = try store.digests()
            try store.stage(incoming, token: "import-1")
            #expect(try store.digests() == before)
        }
        let reopened = try Self.open(directory)
        #expect(try reopened.stagedTokens() == ["import-1"])
        #expect(try reopened.digests() == before)
        try reopened.applyStaged(token: "import-1")
        #expect(try reopened.snapshot([.addressBook, .personalSettings]) == incoming)
        #expect(try reopened.stagedTokens().isEmpty)
    }

    /// R3: apply replaces every staged category (an empty one empties it) and nothing else.
    @Test func applyReplacesExactlyTheStagedCategories() throws {
        let directory = try temporaryDirectory()
        let store = try Self.open(directory)
        let before = try store.digests()
        let other = SettingsFixture.generate(profile: try Self.profile(), seed: 99)
        var incoming = other.restricted(to: [.addressBook, .settingsRegistration])
        incoming[.favorites] = []
        // A staging under the same token is replaced, not merged.
        try store.stage(other.restricted(to: [.departmentIDs]), token: "t")
        try store.stage(incoming, token: "t")
        try store.stage(other.restricted(to: [.certificates]), token: "another")
        #expect(try store.stagedTokens() == ["another", "t"])
        try store.applyStaged(token: "t")
        let after = try store.digests()
        for category in SettingCategory.allCases {
            switch category {
            case .addressBook, .settingsRegistration:
                #expect(after[category] == CanonicalContent.digest(other[category]), "\(category)")
            case .favorites:
                #expect(after[category] == CanonicalContent.digest([]))
            default:
                #expect(after[category] == before[category], "\(category) was touched")
            }
        }
        #expect(try store.counts()[.favorites] == 0)
        #expect(try store.stagedTokens() == ["another"])
        try store.discardStaged(token: "another")
        #expect(try store.stagedTokens().isEmpty)
        #expect(try store.digests() == after)
    }

    @Test func unknownTokensAndRepeatedIDsAreRefusedWithoutChange() throws {
        let directory = try temporaryDirectory()
        let store = try Self.open(directory)
        let before = try store.digests()
        #expect(throws: EmulatorError.self) { try store.applyStaged(token: "nothing-staged") }
        let twice = SettingRecord(id: "same", fields: ["a": "1"])
        let error = #expect(throws: EmulatorError.self) {
            try store.stage(SettingsSnapshot(categories: [.favorites: [twice, twice]]), token: "dup")
        }
        #expect(error?.description.contains("repeats id same") == true)
        #expect(throws: EmulatorError.self) { try store.stage(SettingsSnapshot(), token: "") }
        #expect(try store.stagedTokens().isEmpty)
        #expect(try store.digests() == before)
    }

    /// R3: a failure half-way through an apply (here after two of four categories were replaced)
    /// rolls it back entirely, and keeps the staging for another try.
    @Test func aFailedApplyLeavesTheOldSettingsAndTheStaging() throws {
        struct InjectedFault: Error {}
        let directory = try temporaryDirectory()
        let store = try Self.open(directory)
        let before = try store.digests()
        let other = SettingsFixture.generate(profile: try Self.profile(), seed: 5)
        let incoming = other.restricted(to: [.addressBook, .authenticationUsers, .favorites, .settingsRegistration])
        try store.stage(incoming, token: "t")
        var replaced = 0
        #expect(throws: InjectedFault.self) {
            try store.applyStaged(token: "t") { _ in
                if replaced == 2 { throw InjectedFault() }
                replaced += 1
            }
        }
        #expect(replaced == 2)
        #expect(try store.digests() == before)
        #expect(try store.stagedTokens() == ["t"])
        #expect(try store.integrityCheck() == ["ok"])
        try store.applyStaged(token: "t")
        #expect(try store.snapshot(Set(incoming.categories.keys)) == incoming)
    }

    // MARK: - R3 with a real crash

    /// The `mfpbridge-crashtest` executable built beside the tests (or `$MFPBRIDGE_CRASHTEST`).
    static let crashTestBinary: String? = {
        if let explicit = ProcessInfo.processInfo.environment["MFPBRIDGE_CRASHTEST"], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("mfpbridge-crashtest").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }()

    /// Runs the child on `directory/settings.sqlite`; kills it with SIGKILL `killAfter` after it
    /// says `applying` (nil: lets it finish). Returns true when the child died of the signal.
    static func runChild(
        _ binary: String, directory: String, profilePath: String, token: String,
        killAfter: Duration?
    ) throws -> (killed: Bool, applyTime: Duration) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["apply", directory + "/settings.sqlite", profilePath, "1", token]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        // Wait for "applying": the store is open and the apply starts now.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("applying\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        let clock = ContinuousClock()
        let started = clock.now
        if let killAfter {
            let seconds = Double(killAfter.components.seconds) + Double(killAfter.components.attoseconds) / 1e18
            Thread.sleep(forTimeInterval: seconds)
            kill(child.processIdentifier, SIGKILL)
        }
        child.waitUntilExit()
        let applyTime = clock.now - started
        if child.terminationReason == .exit {
            #expect(child.terminationStatus == 0, "the crash-test child failed")
        }
        return (child.terminationReason == .uncaughtSignal, applyTime)
    }

    static func copyFiles(from source: String, to destination: String) throws {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name.hasPrefix("settings.sqlite") {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
        }
    }

    @Test(
        .enabled(
            if: crashTestBinary != nil,
            "the mfpbridge-crashtest executable is not built: add its target to Package.swift (or set MFPBRIDGE_CRASHTEST)"))
    func r3ACrashDuringApplyLeavesTheOldSettingsOrTheNewNeverAMix() throws {
        // R3: a crash during apply leaves the old settings or the new, never a mix.
        let binary = try #require(Self.crashTestBinary)
        let root = try temporaryDirectory()
        let pristine = root + "/pristine"
        try FileManager.default.createDirectory(atPath: pristine, withIntermediateDirectories: true)
        let profilePath = fixtureProfiles + "/\(Self.profileName).json"
        let token = "import-crash"
        let old: [SettingCategory: String]
        let new: [SettingCategory: String]
        do {
            let store = try Self.open(pristine, seed: 1)
            old = try store.digests()
            // Every category but the (empty) box documents: the biggest apply there is.
            var incoming = SettingsFixture.generate(profile: try Self.profile(), seed: 2)
            incoming.categories[.boxDocuments] = nil
            try store.stage(incoming, token: token)
            new = old.merging(Self.digests(incoming).filter { $0.key != .boxDocuments }) { $1 }
        }
        #expect(old.filter { $0.key != .boxDocuments }.allSatisfy { new[$0.key] != $0.value })

        // How long an undisturbed apply takes, so that the kills land before, in and after it.
        let calibration = root + "/calibration"
        try Self.copyFiles(from: pristine, to: calibration)
        let full = try Self.runChild(binary, directory: calibration, profilePath: profilePath, token: token, killAfter: nil)
        #expect(try Self.open(calibration).digests() == new)
        try? FileManager.default.removeItem(atPath: calibration)
        let window = max(full.applyTime * 1.3, .milliseconds(20))

        var random = FixtureRandom(seed: 0x5EED_C4A5)
        var outcomes = (old: 0, new: 0, killed: 0)
        let runs = 24
        for run in 0..<runs {
            let directory = root + "/run-\(run)"
            try Self.copyFiles(from: pristine, to: directory)
            let delay = window * (Double(random.int(0...1_000)) / 1_000)
            let result = try Self.runChild(binary, directory: directory, profilePath: profilePath, token: token, killAfter: delay)
            if result.killed { outcomes.killed += 1 }
            // What the device finds when it comes back up.
            let store = try Self.open(directory)
            #expect(try store.integrityCheck() == ["ok"], "run \(run)")
            let found = try store.digests()
            if found == old {
                outcomes.old += 1
                #expect(try store.stagedTokens() == [token], "run \(run): the old settings but the staging is gone")
            } else if found == new {
                outcomes.new += 1
                #expect(try store.stagedTokens().isEmpty, "run \(run): the new settings but still staged")
            } else {
                let mixed = SettingCategory.allCases.filter { found[$0] != old[$0] && found[$0] != new[$0] }
                Issue.record(
                    "run \(run) (killed after \(delay)): a mix of old and new; categories neither: \(mixed); files kept in \(directory)")
                continue
            }
            // Each run is a few MB: keep only the evidence of a failure.
            try? FileManager.default.removeItem(atPath: directory)
        }
        print(
            "R3 crash test: an apply takes \(full.applyTime); \(runs) runs killed at random in \(window): "
                + "\(outcomes.killed) died of SIGKILL, \(outcomes.old) found the old settings, \(outcomes.new) the new, none a mix")
        #expect(outcomes.old + outcomes.new == runs)
    }
}
