import BridgeClient
import Dispatch
import Foundation

/// A seeded mutation campaign over every file format (docs/safety-rules.md, R8 and R13): each
/// mutant is written to a file and checked by the verification `mfpbridge verify` runs
/// (`FileVerification.verify`). A mutant passes when it is refused with exit status 6
/// (`bundleRejected`); being accepted, refused with another status, or taking longer than the
/// time bound (a hang) fails it. A crash ends the process: run with a trace to see the mutant.
public struct MutationCampaign {
    public struct Failure: Sendable, CustomStringConvertible {
        public var seed: UInt64
        public var index: Int
        public var format: CampaignFormat
        public var mutation: String
        public var outcome: String
        public var description: String {
            "seed \(seed) mutant \(index) (\(format.rawValue): \(mutation)): \(outcome); reproduce with --seed \(seed) --only \(index)"
        }
    }

    public struct Tally: Sendable {
        public var mutants = 0
        public var refused = 0
        public var failed = 0
    }

    public struct Report: Sendable {
        public var tallies: [CampaignFormat: Tally] = [:]
        public var failures: [Failure] = []
        public var seconds: Double = 0
        public var passed: Int { tallies.values.reduce(0) { $0 + $1.refused } }
        public var failed: Int { tallies.values.reduce(0) { $0 + $1.failed } }
        /// Whether the campaign stopped early on a hang (the verification could not be stopped).
        public var stoppedOnHang = false

        public var lines: [String] {
            CampaignFormat.allCases.compactMap { format in
                tallies[format].map { "\(format.rawValue): \($0.mutants) mutants, \($0.refused) refused with exit 6, \($0.failed) failed" }
            } + failures.map { "FAILED \($0)" } + [String(format: "%.1f s", seconds), "\(passed) passed, \(failed) failed"]
        }
    }

    public var seed: UInt64
    public var mutants: Int
    /// The most a verification may take before it counts as a hang.
    public var timeBound: Double = 20
    /// Where the mutants are written (a fresh temporary folder by default).
    public var folder: String?
    /// Called before each mutant is verified (a trace, to find the mutant behind a crash).
    public var trace: (@Sendable (String) -> Void)?

    public init(seed: UInt64, mutants: Int) {
        self.seed = seed
        self.mutants = mutants
    }

    /// Mutant `index` of the campaign: its format, original and bytes, the same on every run.
    public func mutant(_ index: Int) throws -> (original: CampaignOriginal, mutant: Mutant) {
        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let formats = CampaignFormat.allCases
        // Random files are a smaller share: most mutants start from a valid file.
        let format = rng.below(10) == 0 ? .random : formats[index % (formats.count - 1)]
        let original = try CampaignOriginals.make(format, variant: rng.below(12), rng: &rng)
        return (original, Mutation.draw(for: original, rng: &rng))
    }

    public func run(only: Int? = nil) throws -> Report {
        let folder = try self.folder ?? Self.temporaryFolder()
        let path = folder + "/mutant"
        var report = Report()
        let started = Date()
        for index in only.map({ [$0] }) ?? Array(0..<mutants) {
            let (original, mutant) = try mutant(index)
            trace?("mutant \(index) \(original.format.rawValue): \(mutant.description)")
            try Data(mutant.bytes).write(to: URL(fileURLWithPath: path))
            var tally = report.tallies[original.format] ?? Tally()
            tally.mutants += 1
            let outcome = Self.verify(path: path, password: original.password, timeBound: timeBound)
            if let problem = outcome {
                tally.failed += 1
                report.failures.append(
                    Failure(
                        seed: seed, index: index, format: original.format,
                        mutation: mutant.description, outcome: problem))
                if problem.hasPrefix("hang") {
                    report.tallies[original.format] = tally
                    report.stoppedOnHang = true
                    break
                }
            } else {
                tally.refused += 1
            }
            report.tallies[original.format] = tally
        }
        report.seconds = Date().timeIntervalSince(started)
        if self.folder == nil { try? FileManager.default.removeItem(atPath: folder) }
        return report
    }

    /// nil when the file was refused with exit status 6; otherwise what went wrong.
    static func verify(path: String, password: String?, timeBound: Double) -> String? {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        DispatchQueue.global().async {
            do {
                _ = try FileVerification.verify(path: path, password: password)
                result.set("accepted: verification found nothing wrong")
            } catch let error as BridgeError {
                result.set(
                    error.status == .bundleRejected ? nil : "refused with exit \(error.status.rawValue) instead of 6: \(error.message)")
            } catch {
                result.set("failed with \(error) instead of exit 6")
            }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeBound) == .success else {
            return "hang: the verification took more than \(timeBound) s"
        }
        return result.get()
    }

    static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-mutate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// The verification's outcome, handed from its worker thread.
private final class ResultBox: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var value: String?

    func set(_ value: String?) { lock.withLock { self.value = value } }
    func get() -> String? { lock.withLock { value } }
}

/// Mutants of one given file (a real export or box backup), for the end-to-end sample that runs
/// them through the `mfpbridge` binary.
public enum MutationSample {
    public static func mutants(of original: CampaignOriginal, count: Int, seed: UInt64) -> [Mutant] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Mutation.draw(for: original, rng: &rng) }
    }
}
