import Foundation
import MFPKit
import Testing

@Suite("R2, R7, R9, R10, R11: the import plan")
struct ImportPlannerTests {
    let profiles: [String: DeviceProfile]
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        profiles = Dictionary(uniqueKeysWithValues: try shippedProfiles().map { ($0.name, $0) })
    }

    func origin(_ name: String) -> BundleOrigin {
        let profile = profiles[name]!
        return BundleOrigin(
            model: profile.model, series: profile.series, firmware: profile.firmwareVersion,
            language: profile.displayLanguage, serialNumber: profile.serialNumber)
    }

    func status(_ name: String) -> DeviceStatus {
        var status = idleStatus()
        let profile = profiles[name]!
        status.model = profile.model
        status.series = profile.series
        status.language = profile.displayLanguage
        return status
    }

    func entries(_ count: Int, prefix: String = "list01") -> [SettingRecord] {
        (1...count).map { SettingRecord(id: "\(prefix)/\(String(format: "%04d", $0))", fields: ["name": "Entry \($0)", "type": "email"]) }
    }

    @Test("R2: the plan names what is overwritten, added, removed and unchanged")
    func overwriteReport() {
        var incoming = SettingsSnapshot()
        incoming[.addressBook] = [
            SettingRecord(id: "a", fields: ["name": "Same"]), SettingRecord(id: "b", fields: ["name": "New value"]),
            SettingRecord(id: "c", fields: ["name": "Added"]),
        ]
        var current = SettingsSnapshot()
        current[.addressBook] = [
            SettingRecord(id: "a", fields: ["name": "Same"]), SettingRecord(id: "b", fields: ["name": "Old value"]),
            SettingRecord(id: "d", fields: ["name": "Only here"]),
        ]
        let plan = ImportPlanner.plan(
            origin: origin("aurora-c5540"), incoming: incoming, selections: [CategorySelection(.addressBook)],
            target: profiles["aurora-c5540"]!.capabilities, status: status("aurora-c5540"), current: current, now: now)
        let book = plan.categories[0]
        #expect(!plan.isRefused)
        #expect(book.overwritten == ["b"])
        #expect(book.added == ["c"])
        #expect(book.removed == ["d"])
        #expect(book.unchanged == 1)
        #expect(plan.content[.addressBook].map(\.id) == ["a", "b", "c"])
    }

    @Test("R7: a bundle from another display language is refused, naming both")
    func language() {
        let plan = ImportPlanner.plan(
            origin: origin("meridian-m3200"), incoming: SettingsSnapshot(), selections: [CategorySelection(.addressBook)],
            target: profiles["aurora-c5540"]!.capabilities, status: status("aurora-c5540"), current: SettingsSnapshot(), now: now)
        #expect(plan.refusals.map(\.rule) == [.r7])
        #expect(plan.refusals[0].message.contains("de-DE") && plan.refusals[0].message.contains("en-US"))
    }

    @Test("R9: class A stays on its model, B in its series, No never; C travels")
    func classes() {
        let target = profiles["aurora-c5560"]! // same series as the c5540, another model
        #expect(!ImportPlanner.allows(.a, from: origin("aurora-c5540"), to: target.capabilities))
        #expect(ImportPlanner.allows(.b, from: origin("aurora-c5540"), to: target.capabilities))
        #expect(ImportPlanner.allows(.c, from: origin("meridian-m3200"), to: target.capabilities))
        #expect(!ImportPlanner.allows(.b, from: origin("meridian-m3200"), to: target.capabilities))
        #expect(!ImportPlanner.allows(.no, from: origin("aurora-c5560"), to: target.capabilities))
        #expect(ImportPlanner.allows(.a, from: origin("aurora-c5560"), to: target.capabilities))

        var incoming = SettingsSnapshot()
        incoming[.settingsRegistration] = [
            SettingRecord(id: "x/a", fields: ["v": "1"], crossModelClass: .a),
            SettingRecord(id: "x/b", fields: ["v": "1"], crossModelClass: .b),
            SettingRecord(id: "x/c", fields: ["v": "1"], crossModelClass: .c),
            SettingRecord(id: "x/no", fields: ["v": "1"], crossModelClass: .no),
        ]
        // The settings category itself is class A in the profiles: into a sibling model it is skipped whole.
        let sibling = ImportPlanner.plan(
            origin: origin("aurora-c5540"), incoming: incoming, selections: [CategorySelection(.settingsRegistration)],
            target: target.capabilities, status: status("aurora-c5560"), current: SettingsSnapshot(), now: now)
        #expect(sibling.categories[0].applied == false)
        #expect(sibling.categories[0].skipReason?.rule == .r9)
        // Into the same model, each item's own class decides, and every skipped item is named.
        let same = ImportPlanner.plan(
            origin: origin("aurora-c5560"), incoming: incoming, selections: [CategorySelection(.settingsRegistration)],
            target: target.capabilities, status: status("aurora-c5560"), current: SettingsSnapshot(), now: now)
        #expect(same.categories[0].added == ["x/a", "x/b", "x/c"])
        #expect(same.categories[0].skipped.map(\.id) == ["x/no"])
    }

    @Test("R9: entries over the target's capacity are skipped one by one, never silently, with the groups that point at them")
    func capacity() throws {
        let target = profiles["meridian-m3200"]!
        let limit = target.capacities.addressBookEntries + target.capacities.oneTouchEntries
        var records = entries(limit + 5)
        let overflowID = records.last!.id
        // Sorted first, the group takes one place; it points at an entry that does not fit.
        records.append(SettingRecord(id: "0-group", fields: ["type": "group", "members": "\(records[0].id),\(overflowID)"]))
        var incoming = SettingsSnapshot()
        incoming[.addressBook] = records
        var source = origin("meridian-m3200")
        source.serialNumber = "OTHER"
        let plan = ImportPlanner.plan(
            origin: source, incoming: incoming, selections: [CategorySelection(.addressBook)],
            target: target.capabilities, status: status("meridian-m3200"), current: SettingsSnapshot(), now: now)
        let book = plan.categories[0]
        #expect(book.added.count == limit - 1)
        #expect(book.skipped.count == 7)
        #expect(book.skipped.contains { $0.id == overflowID && $0.reason.contains("capacity") })
        #expect(book.skipped.contains { $0.id == "0-group" && $0.reason.contains(overflowID) })
        #expect(plan.content[.addressBook].count + book.skipped.count == records.count)
    }

    @Test("R10: the security policy imports onto no password or the same one, and sets the exporter's")
    func securityPolicy() {
        let target = profiles["aurora-c5540"]!
        let exporter = SecurityPolicyPassword.hash(password: "policy-1")
        var incoming = SettingsSnapshot()
        incoming[.securityPolicy] = [
            SecurityPolicyPassword.record(hash: exporter), SettingRecord(id: "tls/min-version", fields: ["value": "1.2"]),
        ]
        func plan(current hash: String?) -> CategoryPlan {
            var current = SettingsSnapshot()
            current[.securityPolicy] = hash.map { [SecurityPolicyPassword.record(hash: $0)] } ?? []
            return ImportPlanner.plan(
                origin: origin("aurora-c5540"), incoming: incoming, selections: [CategorySelection(.securityPolicy)],
                target: target.capabilities, status: status("aurora-c5540"), current: current, now: now
            ).categories[0]
        }
        let none = plan(current: nil)
        #expect(none.applied && none.setsSecurityPolicyPassword)
        let same = plan(current: exporter)
        #expect(same.applied && !same.setsSecurityPolicyPassword)
        let other = plan(current: SecurityPolicyPassword.hash(password: "policy-2"))
        #expect(!other.applied)
        #expect(other.skipReason?.rule == .r10)
    }

    @Test("R11: sync client refuses imports of personal data and group lists; the rest imports")
    func syncClient() {
        var target = status("aurora-c5540")
        target.sync = SyncStatus(role: .client, state: .running)
        let selections = [CategorySelection(.personalSettings), CategorySelection(.userGroupAddressLists), CategorySelection(.addressBook)]
        let blockers = SyncRestrictions.blockers(.import, selections: selections, sync: target.sync, now: now)
        #expect(blockers.map(\.code) == ["sync-client-import", "sync-client-import"])
        #expect(blockers.allSatisfy { $0.rule == .r11 })
        #expect(SyncRestrictions.blockers(.import, selections: [CategorySelection(.addressBook)], sync: target.sync, now: now).isEmpty)
    }

    @Test("R11: sync client exports personal data only within 15 minutes of preparation and at localhost:8443")
    func syncClientExport() {
        let selections = [CategorySelection(.personalSettings)]
        var sync = SyncStatus(role: .client, state: .running)
        #expect(
            Set(SyncRestrictions.blockers(.export, selections: selections, sync: sync, now: now).map(\.code)) == [
                "sync-condition-a", "sync-condition-b",
            ])
        sync.exportPreparedAt = now.addingTimeInterval(-14 * 60)
        sync.connectionDestination = "localhost:8443"
        #expect(SyncRestrictions.blockers(.export, selections: selections, sync: sync, now: now).isEmpty)
        sync.exportPreparedAt = now.addingTimeInterval(-16 * 60)
        #expect(SyncRestrictions.blockers(.export, selections: selections, sync: sync, now: now).map(\.code) == ["sync-condition-a"])
        sync.exportPreparedAt = now.addingTimeInterval(-60)
        sync.connectionDestination = "sync.example:8443"
        #expect(SyncRestrictions.blockers(.export, selections: selections, sync: sync, now: now).map(\.code) == ["sync-condition-b"])
    }

    @Test("R11: a sync server imports personal data and lists 01-20 only at localhost:8443")
    func syncServer() throws {
        var sync = SyncStatus(role: .server, state: .running, connectionDestination: "mfp-7.example:8443")
        let lists = [try CategorySelection.parse("user-group-address-lists:05,20"), CategorySelection(.personalSettings)]
        #expect(
            SyncRestrictions.blockers(.import, selections: lists, sync: sync, now: now).map(\.code) == [
                "sync-condition-b", "sync-condition-b",
            ])
        sync.connectionDestination = "localhost:8443"
        #expect(SyncRestrictions.blockers(.import, selections: lists, sync: sync, now: now).isEmpty)
    }

    @Test("R11: User Group Address Lists are never exported one by one")
    func noIndividualListExport() throws {
        let one = [try CategorySelection.parse("user-group-address-lists:05")]
        for role in SyncRole.allCases {
            let sync = SyncStatus(role: role, state: .running, exportPreparedAt: now, connectionDestination: "localhost:8443")
            #expect(SyncRestrictions.blockers(.export, selections: one, sync: sync, now: now).map(\.code) == ["individual-list-export"])
        }
        #expect(
            SyncRestrictions.blockers(
                .export, selections: [CategorySelection(.userGroupAddressLists)],
                sync: SyncStatus(role: .none, state: .stopped), now: now
            ).isEmpty)
    }

    @Test(
        "Category selections parse, and refuse what cannot be narrowed",
        arguments: ["address-book:01", "user-group-address-lists:5", "user-group-address-lists:", "coffee", "user-group-address-lists:51"])
    func selectionErrors(text: String) {
        #expect(throws: SelectionError.self) { try CategorySelection.parse(text) }
    }

    @Test("The settings stream round-trips and refuses truncation")
    func stream() throws {
        var snapshot = SettingsSnapshot()
        snapshot[.addressBook] = entries(3)
        snapshot[.paperTypes] = [SettingRecord(id: "p", fields: ["w": "210"], crossModelClass: .b)]
        let bytes = SettingsStream.encode(snapshot)
        #expect(try SettingsStream.decode(bytes) == snapshot)
        for cut in [1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(throws: CanonicalContentError.self) { try SettingsStream.decode(Array(bytes.prefix(cut))) }
        }
        #expect(CanonicalContent.digest(snapshot[.addressBook]) == CanonicalContent.digest(snapshot[.addressBook].reversed()))
    }
}
