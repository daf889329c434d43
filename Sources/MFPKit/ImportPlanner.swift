import Foundation

/// Decides an import (R2, R7, R9, R10, R11) from the bundle, the target machine and its current
/// content. Pure: the host runs it for the dry-run report, and the emulator runs it again on the
/// content it receives, so a host that skips it still cannot break a rule.
public enum ImportPlanner {
    /// Categories whose items are set one by one (items the bundle lacks or may not carry keep the
    /// machine's value); every other category is a list that the import replaces whole.
    public static let itemCategories: Set<SettingCategory> = [.settingsRegistration, .printerSettings, .securityPolicy]

    public static func plan(
        origin: BundleOrigin, incoming: SettingsSnapshot, selections: [CategorySelection],
        target: DeviceCapabilities, status: DeviceStatus, current: SettingsSnapshot,
        now: Date
    ) -> ImportPlan {
        var refusals: [Blocker] = []
        // R7: setting values may be corrupted between display languages.
        if origin.language != status.language {
            refusals.append(
                Blocker(
                    rule: .r7, code: "language-mismatch",
                    message:
                        "the bundle was exported from a machine in \(origin.language), this machine displays \(status.language); import/export between display languages may corrupt settings"
                ))
        }
        refusals += SyncRestrictions.blockers(.import, selections: selections, sync: status.sync, now: now)

        let plans = selections.sorted { $0.category < $1.category }.map { selection in
            planCategory(
                selection, origin: origin, incoming: incoming[selection.category].filter(selection.contains),
                target: target, current: current[selection.category])
        }
        return ImportPlan(refusals: refusals, categories: plans)
    }

    /// R9: whether data of this class travels from the origin to the target.
    public static func allows(_ travel: CrossModelClass, from origin: BundleOrigin, to target: DeviceCapabilities) -> Bool {
        switch travel {
        case .a: origin.model == target.model
        case .b: origin.series == target.series
        case .c: true
        case .no: false
        }
    }

    static func classReason(_ travel: CrossModelClass, origin: BundleOrigin, target: DeviceCapabilities) -> String {
        switch travel {
        case .a: "class A: imports only into the same model (\(origin.model)), not into \(target.model)"
        case .b: "class B: imports only within series \(origin.series), not into \(target.series)"
        case .c: "class C"
        case .no: "class No: never imported"
        }
    }

    static func capacity(of category: SettingCategory, _ target: DeviceCapabilities) -> Int? {
        let capacities = target.capacities
        return switch category {
        case .addressBook: capacities.addressBookEntries + capacities.oneTouchEntries
        case .userGroupAddressLists: capacities.userGroupAddressLists
        case .personalSettings: capacities.personalSettingsUsers
        case .authenticationUsers: capacities.authenticationUsers
        case .departmentIDs: capacities.departmentIDs
        case .settingsRegistration: capacities.settingsItems
        default: nil
        }
    }

    private static func planCategory(
        _ selection: CategorySelection, origin: BundleOrigin, incoming: [SettingRecord],
        target: DeviceCapabilities, current: [SettingRecord]
    ) -> CategoryPlan {
        let category = selection.category
        let categoryClass = target.categoryClasses[category] ?? .no
        var plan = CategoryPlan(
            category: category, crossModelClass: categoryClass, applied: true, skipReason: nil,
            overwritten: [], added: [], removed: [], unchanged: 0, skipped: [],
            setsSecurityPolicyPassword: false, newContent: [])
        if !allows(categoryClass, from: origin, to: target) {
            plan.applied = false
            plan.skipReason = Blocker(
                rule: .r9, code: "class-\(categoryClass.rawValue)",
                message: "\(category.displayName) not imported: \(classReason(categoryClass, origin: origin, target: target))")
            return plan
        }
        // R10: the security policy imports only onto a machine without a policy password or with the same one.
        if category == .securityPolicy {
            let theirs = SecurityPolicyPassword.hash(in: incoming)
            let ours = SecurityPolicyPassword.hash(in: current)
            if let ours, ours != theirs {
                plan.applied = false
                plan.skipReason = Blocker(
                    rule: .r10, code: "policy-password-mismatch",
                    message:
                        "Security policy not imported: this machine's security-policy password differs from the exporting machine's; set the same password on both, or clear it here first"
                )
                return plan
            }
            plan.setsSecurityPolicyPassword = ours == nil && theirs != nil
        }

        // R9 per record: items with their own class, then the target's capacity, in id order.
        var accepted: [SettingRecord] = []
        for record in incoming.sorted(by: { $0.id < $1.id }) {
            if let own = record.crossModelClass, !allows(own, from: origin, to: target) {
                plan.skipped.append(SkippedRecord(id: record.id, rule: .r9, reason: classReason(own, origin: origin, target: target)))
            } else {
                accepted.append(record)
            }
        }
        let isItemCategory = itemCategories.contains(category)
        let currentByID = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        if let limit = capacity(of: category, target) {
            // Items already on the machine do not take new room; new ones must fit.
            var room = limit - (isItemCategory ? current.count : 0)
            var kept: [SettingRecord] = []
            for record in accepted {
                if isItemCategory, currentByID[record.id] != nil {
                    kept.append(record)
                } else if room > 0 {
                    room -= 1
                    kept.append(record)
                } else {
                    plan.skipped.append(
                        SkippedRecord(
                            id: record.id, rule: .r9,
                            reason: "over this machine's capacity of \(limit) \(category.displayName) entries"))
                }
            }
            accepted = kept
        }
        accepted = droppingDanglingGroups(accepted, plan: &plan)

        // The new content: list categories are replaced whole (within the selection); item categories
        // keep what the bundle does not set.
        let acceptedIDs = Set(accepted.map(\.id))
        let outside = current.filter { !selection.contains($0) }
        var newContent = accepted + outside
        if isItemCategory {
            newContent += current.filter { selection.contains($0) && !acceptedIDs.contains($0.id) }
        } else {
            plan.removed = current.filter { selection.contains($0) && !acceptedIDs.contains($0.id) }.map(\.id).sorted()
        }
        for record in accepted {
            if let existing = currentByID[record.id] {
                if existing == record { plan.unchanged += 1 } else { plan.overwritten.append(record.id) }
            } else {
                plan.added.append(record.id)
            }
        }
        plan.newContent = newContent.sorted { $0.id < $1.id }
        return plan
    }

    /// Groups whose members were left out would point at nothing: real machines drop them
    /// silently; here each is skipped and reported (R9).
    private static func droppingDanglingGroups(_ records: [SettingRecord], plan: inout CategoryPlan) -> [SettingRecord] {
        let skippedIDs = Set(plan.skipped.map(\.id))
        guard !skippedIDs.isEmpty else { return records }
        return records.filter { record in
            guard let members = record.fields["members"] else { return true }
            let missing = members.split(separator: ",").map(String.init).filter { skippedIDs.contains($0) }
            guard missing.isEmpty else {
                plan.skipped.append(
                    SkippedRecord(
                        id: record.id, rule: .r9,
                        reason: "group whose members were skipped: \(missing.joined(separator: ", "))"))
                return false
            }
            return true
        }
    }
}
