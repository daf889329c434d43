import Foundation

extension DeviceProfile {
    /// Decodes a profile and checks that it is complete: every category has a class, ids are set.
    public static func decode(_ data: Data) throws(ProfileError) -> DeviceProfile {
        let profile: DeviceProfile
        do {
            profile = try JSONDecoder().decode(DeviceProfile.self, from: data)
        } catch {
            throw ProfileError(message: "not a valid device profile: \(error)")
        }
        let missing = SettingCategory.allCases.filter { profile.categoryClasses[$0] == nil }
        guard missing.isEmpty else {
            throw ProfileError(
                message: "profile \(profile.name) has no cross-model class for: "
                    + missing.map(\.rawValue).joined(separator: ", "))
        }
        guard profile.usb.vendorID != 0, profile.usb.productID != 0, !profile.usb.interfaces.isEmpty else {
            throw ProfileError(message: "profile \(profile.name) has no USB identity")
        }
        return profile
    }
}

public struct ProfileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
