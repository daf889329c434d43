import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit

/// The R2/R9 report: per category, what is overwritten, added, removed, skipped, and why.
enum ImportReport {
    struct JSONReport: Encodable {
        var title: String
        var snapshot: String?
        var categories: [CategoryPlan]
        /// After an import: the byte its transfer continued from (0: it started afresh).
        var resumedFrom: UInt64?
    }

    static func print(_ plan: ImportPlan, title: String, json: Bool, snapshot: String?, resumedFrom: UInt64? = nil) {
        if json {
            Output.json(JSONReport(title: title, snapshot: snapshot, categories: plan.categories, resumedFrom: resumedFrom))
            return
        }
        if snapshot != nil {
            printSummary(plan, snapshot: snapshot)
            if let resumedFrom, resumedFrom > 0 {
                Output.line("The transfer continued the interrupted one from byte \(resumedFrom).")
            }
            return
        }
        Output.line(title)
        for category in plan.categories {
            let name = category.category.rawValue.padding(toLength: 26, withPad: " ", startingAt: 0)
            guard category.applied else {
                Output.line("  \(name) SKIPPED  \(category.skipReason.map { "\($0.rule.rawValue): \($0.message)" } ?? "")")
                continue
            }
            var parts = ["\(category.overwritten.count) overwritten", "\(category.added.count) added"]
            if !category.removed.isEmpty { parts.append("\(category.removed.count) removed") }
            parts.append("\(category.unchanged) unchanged")
            if !category.skipped.isEmpty { parts.append("\(category.skipped.count) skipped") }
            if category.setsSecurityPolicyPassword { parts.append("sets the exporting machine's security-policy password (R10)") }
            Output.line("  \(name) \(parts.joined(separator: ", "))")
            // Skipped records grouped by reason: every reason shown, a few ids each (--json has all).
            let reasons = Dictionary(grouping: category.skipped) { "\($0.rule.rawValue) \($0.reason)" }
            for (reason, records) in reasons.sorted(by: { $0.key < $1.key }) {
                let ids = records.prefix(4).map(\.id).joined(separator: ", ")
                let more = records.count > 4 ? ", +\(records.count - 4) more" : ""
                Output.line("      \(records.count) skipped, \(reason): \(ids)\(more)")
            }
        }
    }

    /// After the import: one line of totals, and where the snapshot is.
    static func printSummary(_ plan: ImportPlan, snapshot: String?) {
        let applied = plan.categories.filter(\.applied)
        let total = { (count: (CategoryPlan) -> Int) in applied.map(count).reduce(0, +) }
        Output.line(
            "Applied to \(applied.count) of \(plan.categories.count) categories: \(total { $0.overwritten.count }) overwritten, "
                + "\(total { $0.added.count }) added, \(total { $0.removed.count }) removed, \(total { $0.skipped.count }) skipped, "
                + "\(plan.categories.count - applied.count) categories skipped (see the report above).")
        if let snapshot {
            Output.line("Snapshot of the overwritten settings: \(snapshot) (undo with `mfpbridge rollback`)")
        }
    }
}
