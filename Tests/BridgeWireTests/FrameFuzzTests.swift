import BridgeWire
import MFPTestTools
import Testing

/// The seeded campaign of `FrameFuzzCampaign` (see its documentation for the inputs and the
/// invariants), here on its own seed: 20,000 inputs (10,000 per decoder), a few seconds in a debug
/// build. `scripts/test` runs the full million right after (`mfpbridge-bench fuzz --inputs 1000000`),
/// so this one is the quick check a developer's `swift test` gives.
@Suite struct FrameFuzzTests {
    static let inputs = 20_000
    static let seed: UInt64 = 0x6D66_7062 // "mfpb"
    static let tasks = 4

    @Test func seededCampaignKeepsEveryInvariant() async {
        let campaign = FrameFuzzCampaign(seed: Self.seed)
        let clock = ContinuousClock()
        let start = clock.now
        let report = await withTaskGroup(of: FrameFuzzCampaign.Report.self) { group in
            for task in 0..<Self.tasks {
                let range = (Self.inputs * task / Self.tasks)..<(Self.inputs * (task + 1) / Self.tasks)
                group.addTask { campaign.run(range) }
            }
            var total = FrameFuzzCampaign.Report()
            for await part in group { total.merge(part) }
            return total
        }
        print("frame fuzz campaign, seed \(Self.seed): \(report) in \(clock.now - start)")
        #expect(report.inputs == Self.inputs)
        #expect(report.failureCount == 0, "\(report.failures.map(\.description).joined(separator: "\n"))")
        #expect(report.framesDecoded > 0 && report.damageEvents > 0 && report.splitChecks > 0)
    }

    @Test func campaignIsDeterministicAndSplittable() {
        let campaign = FrameFuzzCampaign(seed: 5)
        let whole = campaign.run(0..<400)
        var parts = campaign.run(0..<123)
        parts.merge(campaign.run(123..<400))
        #expect(whole.description == parts.description)
        #expect(whole.description == FrameFuzzCampaign(seed: 5).run(0..<400).description)
        #expect(whole.description != FrameFuzzCampaign(seed: 6).run(0..<400).description)
    }
}
