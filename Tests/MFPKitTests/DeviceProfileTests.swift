import Foundation
import MFPKit
import Testing

/// The shipped profiles in firmware-fixtures/profiles.
func shippedProfiles() throws -> [DeviceProfile] {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../firmware-fixtures/profiles").standardized
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
    return try files.map { try DeviceProfile.decode(Data(contentsOf: folder.appendingPathComponent($0))) }
}

@Suite struct DeviceProfileTests {
    @Test("At least three profiles load, each complete")
    func load() throws {
        let profiles = try shippedProfiles()
        #expect(profiles.count >= 3)
        for profile in profiles {
            #expect(profile.categoryClasses.count == SettingCategory.allCases.count)
            #expect(profile.usb.interfaces.contains { $0.interfaceClass == 0xFF && $0.bulkIn != nil && $0.bulkOut != nil })
            #expect(profile.administrator.user == "Administrator")
            #expect(profile.capacities.addressBookEntries >= 1000)
        }
        #expect(Set(profiles.map(\.usb.productID)).count == profiles.count)
        #expect(Set(profiles.map(\.serialNumber)).count == profiles.count)
    }

    @Test("Two models share a series and a language; another differs in both (R7, R9 fixtures)")
    func variety() throws {
        let profiles = try shippedProfiles()
        let bySeries = Dictionary(grouping: profiles, by: \.series)
        let siblings = try #require(bySeries.values.first { $0.count >= 2 })
        #expect(Set(siblings.map(\.displayLanguage)).count == 1)
        #expect(profiles.contains { $0.series != siblings[0].series && $0.displayLanguage != siblings[0].displayLanguage })
    }

    @Test("A profile without every category's class is refused")
    func incomplete() throws {
        var profile = try #require(try shippedProfiles().first)
        profile.categoryClasses[.certificates] = nil
        let data = try JSONEncoder().encode(profile)
        #expect(throws: ProfileError.self) { try DeviceProfile.decode(data) }
    }
}
