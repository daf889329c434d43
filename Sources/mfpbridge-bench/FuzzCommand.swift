import ArgumentParser
import MFPTestTools

/// `fuzz`: the frame decoders' seeded fuzz campaign (`FrameFuzzCampaign`), split across tasks.
struct FuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fuzz", abstract: "The frame decoders' seeded fuzz campaign.")

    @Option(help: "Inputs to run.", transform: nonNegative) var inputs: Int = 1_000_000
    @Option(help: "The campaign's seed (decimal or 0x hex).", transform: nonNegative) var seed: UInt64 = 1
    @Option(help: "Tasks to split the inputs across.", transform: nonNegative) var jobs: Int = 2

    func run() async throws {
        let jobs = max(1, jobs)
        let campaign = FrameFuzzCampaign(seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        let report = await withTaskGroup(of: FrameFuzzCampaign.Report.self) { group in
            for job in 0..<jobs {
                let range = (inputs * job / jobs)..<(inputs * (job + 1) / jobs)
                group.addTask { campaign.run(range) }
            }
            var total = FrameFuzzCampaign.Report()
            for await part in group { total.merge(part) }
            return total
        }
        let elapsed = seconds(clock.now - start)
        print("fuzz seed \(seed), \(jobs) jobs, \(format(elapsed, 1)) s")
        print(report)
        for failure in report.failures { print("  \(failure)") }
        if report.failureCount > 0 { throw ExitCode.failure }
    }
}
