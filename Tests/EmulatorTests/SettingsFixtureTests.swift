import Foundation
import MFPKit
import Testing

@testable import MFPEmulator

/// The realistic data of issue 3, item 5 (RULES.md, "What a realistic device holds").
@Suite struct SettingsFixtureTests {
    static let profiles = ["aurora-c5540", "aurora-c5560", "meridian-m3200"]

    static func profile(_ name: String) throws -> DeviceProfile {
        try ProfileCatalog(directory: fixtureProfiles).load(name)
    }

    static func digests(_ snapshot: SettingsSnapshot) -> [SettingCategory: String] {
        Dictionary(uniqueKeysWithValues: SettingCategory.allCases.map { ($0, CanonicalContent.digest(snapshot[$0])) })
    }

    @Test func sameSeedGivesTheSameBytesAndOtherSeedsOrProfilesOtherData() throws {
        let aurora = try Self.profile("aurora-c5540")
        let first = SettingsFixture.generate(profile: aurora, seed: 42)
        let again = SettingsFixture.generate(profile: aurora, seed: 42)
        #expect(first == again)
        for category in SettingCategory.allCases {
            #expect(CanonicalContent.encode(first[category]) == CanonicalContent.encode(again[category]), "\(category)")
        }
        let otherSeed = Self.digests(SettingsFixture.generate(profile: aurora, seed: 43))
        let otherProfile = Self.digests(SettingsFixture.generate(profile: try Self.profile("aurora-c5560"), seed: 42))
        let digests = Self.digests(first)
        for category in SettingCategory.allCases where category != .boxDocuments {
            #expect(digests[category] != otherSeed[category], "\(category) ignores the seed")
            #expect(digests[category] != otherProfile[category], "\(category) ignores the profile")
        }
        #expect(first[.boxDocuments].isEmpty)
    }

    /// A fixed digest, so that a change of the generator (or of a stdlib algorithm) that would
    /// silently change every fixture shows up here.
    @Test func theGeneratorIsStable() throws {
        var random = FixtureRandom(seed: 0)
        // SplitMix64's published first outputs for seed 0.
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func auroraC5540HoldsAFullSizeMachine() throws {
        let profile = try Self.profile("aurora-c5540")
        let snapshot = SettingsFixture.generate(profile: profile, seed: 1)
        let book = snapshot[.addressBook]
        let oneTouch = book.filter { $0.fields["list"] == "one-touch" }
        #expect(book.count == 1_800)
        #expect(oneTouch.count == 200)
        #expect(Set(book.map { $0.fields["list"] ?? "" }) == Set((1...10).map { String(format: "%02d", $0) } + ["admin", "one-touch"]))
        #expect(Set(book.map { $0.fields["type"] ?? "" }) == ["email", "fax", "i-fax", "file-server", "group"])
        #expect(snapshot[.userGroupAddressLists].map(\.id) == (1...20).map { String(format: "user-group-address-lists/%02d", $0) })
        #expect(snapshot[.personalSettings].count == 1_000)
        #expect(snapshot[.authenticationUsers].count == 1_000)
        #expect((300...1_000).contains(snapshot[.departmentIDs].count))
        let items = snapshot[.settingsRegistration]
        #expect(items.count == 412)
        #expect(Set(items.compactMap(\.crossModelClass)) == Set(CrossModelClass.allCases))
        #expect(items.allSatisfy { $0.crossModelClass != nil && $0.fields["value"] != nil })
        for key in ["network/ipv4/address", "printer/default-paper-size", "fax/line-1/number", "timer/auto-sleep-minutes"] {
            #expect(items.contains { $0.id == key }, "\(key)")
        }
        for category in [SettingCategory.paperTypes, .printerSettings, .forwardingRules, .favorites, .buttons] {
            #expect((10...1_000).contains(snapshot[category].count), "\(category): \(snapshot[category].count)")
        }
        #expect((3...20).contains(snapshot[.securityPolicy].count))
        #expect((2...10).contains(snapshot[.certificates].count))
        for certificate in snapshot[.certificates] {
            let pem = certificate.fields["certificate"] ?? ""
            #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----\n") && pem.hasSuffix("-----END CERTIFICATE-----\n"))
            #expect(pem.utf8.count < 2_000)
        }
    }

    @Test(arguments: profiles)
    func everyProfileIsFilledToItsCapacitiesWithUniqueIDs(_ name: String) throws {
        let profile = try Self.profile(name)
        let snapshot = SettingsFixture.generate(profile: profile, seed: 9)
        let capacities = profile.capacities
        #expect(snapshot[.addressBook].count == capacities.addressBookEntries + capacities.oneTouchEntries)
        #expect(snapshot[.userGroupAddressLists].count == capacities.userGroupAddressLists)
        #expect(snapshot[.personalSettings].count == capacities.personalSettingsUsers)
        #expect(snapshot[.authenticationUsers].count == capacities.authenticationUsers)
        #expect(snapshot[.departmentIDs].count <= capacities.departmentIDs)
        #expect(snapshot[.settingsRegistration].count == capacities.settingsItems)
        #expect(Set(snapshot.categories.keys) == Set(SettingCategory.allCases))
        for (category, records) in snapshot.categories {
            #expect(Set(records.map(\.id)).count == records.count, "\(category) repeats an id")
            #expect(records.map(\.id) == records.map(\.id).sorted(), "\(category) is not in canonical order")
            #expect(records.allSatisfy { !$0.id.isEmpty && !$0.fields.isEmpty })
        }
        // Only settings items carry their own class; other records take their category's.
        for category in SettingCategory.allCases where category != .settingsRegistration {
            #expect(snapshot[category].allSatisfy { $0.crossModelClass == nil }, "\(category)")
        }
    }

    @Test(arguments: profiles)
    func referencesResolve(_ name: String) throws {
        let snapshot = SettingsFixture.generate(profile: try Self.profile(name), seed: 5)
        let book = snapshot[.addressBook]
        let entries = Dictionary(uniqueKeysWithValues: book.map { ($0.id, $0) })
        let groups = book.filter { $0.fields["type"] == "group" }
        #expect(!groups.isEmpty)
        for group in groups {
            let members = (group.fields["members"] ?? "").split(separator: ",").map(String.init)
            #expect(members.count >= 2, "\(group.id)")
            for member in members {
                #expect(entries[member] != nil && entries[member]?.fields["type"] != "group", "\(group.id) -> \(member)")
            }
        }
        let users = Set(snapshot[.authenticationUsers].map(\.id))
        let departments = Set(snapshot[.departmentIDs].map(\.id))
        let favorites = Set(snapshot[.favorites].map(\.id))
        for list in snapshot[.userGroupAddressLists] {
            let members = (list.fields["members"] ?? "").split(separator: ",").map(String.init)
            #expect(!members.isEmpty && members.allSatisfy(users.contains), "\(list.id)")
        }
        for user in snapshot[.authenticationUsers] {
            #expect(departments.contains(user.fields["department-id"] ?? ""), "\(user.id)")
        }
        for personal in snapshot[.personalSettings] {
            // Local users first; past them, users who log in through the directory (LDAP/AD).
            #expect(users.contains(personal.id) || personal.fields["source"] == "directory", "\(personal.id)")
            #expect(personal.fields["user"] == personal.id)
            for favorite in (personal.fields["favorites"] ?? "").split(separator: ",") {
                #expect(favorites.contains(String(favorite)), "\(personal.id) -> \(favorite)")
            }
        }
        for favorite in snapshot[.favorites] {
            for destination in (favorite.fields["destinations"] ?? "").split(separator: ",") {
                #expect(entries[String(destination)] != nil, "\(favorite.id) -> \(destination)")
            }
        }
        for rule in snapshot[.forwardingRules] {
            #expect(entries[rule.fields["destination"] ?? ""] != nil, "\(rule.id)")
        }
    }

    @Test func entriesLookRealAndFictional() throws {
        let book = SettingsFixture.generate(profile: try Self.profile("aurora-c5540"), seed: 3)[.addressBook]
        for entry in book {
            let fields = entry.fields
            #expect(!(fields["name"] ?? "").isEmpty, "\(entry.id)")
            switch fields["type"] {
            case "email":
                #expect(fields["email"]?.hasSuffix(".example") == true && fields["email"]?.contains("@") == true, "\(entry.id)")
            case "fax":
                let number = fields["fax-number"] ?? ""
                #expect(number.contains(" 555 01") || number.hasPrefix("+44 20 7946 0"), "\(entry.id): \(number)")
            case "i-fax":
                #expect(fields["ifax-address"]?.contains("@") == true)
            case "file-server":
                #expect(fields["host"] != nil && fields["path"] != nil && fields["user"] != nil && fields["protocol"] != nil, "\(entry.id)")
            default:
                #expect(fields["type"] == "group")
            }
        }
    }

    /// R1: no password or PIN in clear, anywhere: only `sha256$SALT$HASH`, and never the same salt twice.
    @Test(arguments: profiles)
    func noClearTextPasswords(_ name: String) throws {
        let profile = try Self.profile(name)
        let snapshot = SettingsFixture.generate(profile: profile, seed: 11)
        var salts = Set<Substring>()
        var secrets = 0
        for (category, records) in snapshot.categories {
            for record in records {
                for (key, value) in record.fields {
                    let words = key.split(whereSeparator: { "-./".contains($0) })
                    guard words.contains("password") || words.contains("pin") else { continue }
                    // Settings about a secret, not the secret.
                    if key == "password-expires" || key == "print.secure-print-pin-required" { continue }
                    #expect(key.hasSuffix("-hash"), "\(category) \(record.id) \(key) = \(value)")
                    let parts = value.split(separator: "$")
                    #expect(
                        parts.count == 3 && parts[0] == "sha256" && parts[1].count == 32 && parts[2].count == 64,
                        "\(category) \(record.id) \(key)")
                    #expect(salts.insert(parts[1]).inserted, "a salt is reused")
                    secrets += 1
                }
            }
            let text = String(decoding: CanonicalContent.encode(records), as: UTF8.self)
            #expect(!text.contains(profile.administrator.factoryPassword), "\(category)")
        }
        #expect(secrets >= profile.capacities.authenticationUsers)
    }

    /// Fast enough to build a machine on every first start; prints the sizes for the report.
    @Test func generationIsFastAndSmall() throws {
        for name in Self.profiles {
            let profile = try Self.profile(name)
            let clock = ContinuousClock()
            var snapshot = SettingsSnapshot()
            let elapsed = clock.measure { snapshot = SettingsFixture.generate(profile: profile, seed: 1) }
            var bytes = 0
            var summary: [String] = []
            for category in SettingCategory.allCases {
                let size = CanonicalContent.encode(snapshot[category]).count
                bytes += size
                summary.append("\(category.rawValue)=\(snapshot[category].count)/\(size)B")
            }
            print("fixture \(name): \(elapsed) total \(bytes) bytes; \(summary.joined(separator: " "))")
            // Well under a second in debug on a quiet machine; the bound leaves room for a loaded one.
            #expect(elapsed < .seconds(3))
            #expect(bytes > 500_000 && bytes < 8_000_000)
        }
    }
}
