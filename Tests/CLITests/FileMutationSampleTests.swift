import Foundation
import Testing

/// A sample of the mutation campaign through the real binary: mutants of real exports, box backups
/// and snapshots are refused by `mfpbridge verify` (exit 6, no signal), and by `import` and
/// `box-restore` against emulated: machines, which keep their content.
@Suite("Mutants of every file format through mfpbridge verify, import and box-restore", .serialized)
struct FileMutationSampleTests {
    let data: String
    let work: String
    let environment: [String: String]

    init() throws {
        work = try CommandRunner.temporaryDirectory()
        data = work + "/data"
        environment = ["MFPBRIDGE_PASSWORD": "7654321", "MFPBRIDGE_DATA_DIR": data, "MFPBRIDGE_BUNDLE_PASSWORD": "sample-password"]
    }

    func run(_ arguments: [String], bundlePassword: Bool = false) throws -> CommandRunner.Result {
        var environment = self.environment
        if !bundlePassword { environment.removeValue(forKey: "MFPBRIDGE_BUNDLE_PASSWORD") }
        return try CommandRunner.run(arguments, environment: environment)
    }

    /// Everything the machine holds: settings digests per category and the box content's chain.
    func digests(_ profile: String) throws -> String {
        let result = try CommandRunner.run(
            ["emulate-ctl", "--state", "\(data)/emulated/\(profile)", "digests"],
            environment: ["MFPBRIDGE_DATA_DIR": data])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// `count` mutants of `file`, written by mfpbridge-mutate.
    func mutants(of file: String, count: Int, seed: Int, password: Bool = false) throws -> [(path: String, what: String)] {
        let folder = work + "/mutants-\(seed)"
        var environment: [String: String] = [:]
        if password { environment["MFPBRIDGE_BUNDLE_PASSWORD"] = "sample-password" }
        let written = try CommandRunner.run(
            ["write", "--from", file, "--out", folder, "--count", "\(count)", "--seed", "\(seed)"],
            environment: environment, executable: CommandRunner.tool("mfpbridge-mutate"))
        #expect(written.status == 0, "\(written.stderr)")
        return written.stdout.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return (folder + "/" + fields[0], fields.count > 1 ? fields[1] : "")
        }
    }

    @Test("R8, R13: 20 mutants of a bundle, a protected bundle, a snapshot and a box backup exit 6 and change no machine")
    func sample() throws {
        let machine = "aurora-c5540"
        let device = "emulated:\(machine)"
        let bundle = work + "/settings.mfpb", protected = work + "/protected.mfpb", box = work + "/box.mfpbox"
        #expect(
            try run(["export", "--device", device, "--category", "paper-types", "--category", "address-book", "-o", bundle]).status == 0)
        let exported = try run(["export", "--device", device, "--category", "paper-types", "-o", protected], bundlePassword: true)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try run(["box-backup", "--device", device, "-o", box]).status == 0)
        // An import saves a snapshot of what it overwrites.
        let imported = try run(["import", "--device", device, bundle, "--yes"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let snapshots = try FileManager.default.subpathsOfDirectory(atPath: data + "/snapshots").filter { $0.hasSuffix(".mfpb") }
        let snapshot = data + "/snapshots/" + (try #require(snapshots.first, "the import saved no snapshot"))
        let before = try digests(machine)

        let samples: [(file: String, password: Bool, restore: Bool)] = [
            (bundle, false, false), (protected, true, false), (snapshot, false, false), (box, false, true),
        ]
        var checked = 0
        for (index, sample) in samples.enumerated() {
            for (path, what) in try mutants(of: sample.file, count: 5, seed: 100 + index, password: sample.password) {
                let verify = try run(["verify", path], bundlePassword: sample.password)
                #expect(verify.exited, "verify was killed by signal \(verify.status) on \(what)")
                #expect(verify.status == 6, "verify \(what): exit \(verify.status) \(verify.stdout) \(verify.stderr)")
                let applied =
                    sample.restore
                    ? try run(["box-restore", "--device", device, path, "--yes"])
                    : try run(["import", "--device", device, path, "--yes"], bundlePassword: sample.password)
                #expect(
                    applied.exited && applied.status == 6,
                    "\(sample.restore ? "box-restore" : "import") \(what): exit \(applied.status) \(applied.stderr)")
                checked += 1
            }
        }
        #expect(checked == 20)
        #expect(try digests(machine) == before, "a mutant changed the machine")
        // The originals are intact: the refusals were the mutants'.
        for sample in samples {
            #expect(try run(["verify", sample.file], bundlePassword: sample.password).status == 0)
        }
    }
}
