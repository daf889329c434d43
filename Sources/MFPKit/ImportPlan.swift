/// What an import will do to each category, decided before anything changes (R2, R9, R10): the
/// dry-run report, and the exact content the device is then asked to apply.
public struct ImportPlan: Codable, Sendable, Hashable {
    /// Conditions that refuse the whole import (R7, R11), each with its rule.
    public var refusals: [Blocker]
    public var categories: [CategoryPlan]

    public var isRefused: Bool { !refusals.isEmpty }

    /// The content to send: for each applied category, its whole new content (only on the side
    /// that planned it: the report sent over the wire leaves the content out).
    public var content: SettingsSnapshot {
        SettingsSnapshot(
            categories: Dictionary(
                uniqueKeysWithValues: categories.compactMap { plan in
                    plan.applied ? (plan.category, plan.newContent) : nil
                }))
    }
}

public struct CategoryPlan: Codable, Sendable, Hashable {
    public var category: SettingCategory
    public var crossModelClass: CrossModelClass
    /// False when the whole category is skipped (R9 class, R10 password); `skipReason` says why.
    public var applied: Bool
    public var skipReason: Blocker?
    /// Ids whose content changes, that are new, that the import removes (list categories are
    /// replaced whole), and how many stay as they are.
    public var overwritten: [String]
    public var added: [String]
    public var removed: [String]
    public var unchanged: Int
    /// Records left out, each with its reason (R9: class or capacity); never silently.
    public var skipped: [SkippedRecord]
    /// R10: the import sets the exporting machine's security-policy password on this machine.
    public var setsSecurityPolicyPassword: Bool
    /// The category's whole content after the import; not part of the report.
    public internal(set) var newContent: [SettingRecord] = []

    enum CodingKeys: String, CodingKey {
        case category, crossModelClass, applied, skipReason, overwritten, added, removed, unchanged, skipped
        case setsSecurityPolicyPassword
    }
}

public struct SkippedRecord: Codable, Sendable, Hashable {
    public var id: String
    public var rule: RuleID
    public var reason: String
}
