/// The kinds of data a machine imports and exports (RULES.md, last table).
public enum SettingCategory: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable, Comparable {
    case addressBook = "address-book"
    case userGroupAddressLists = "user-group-address-lists"
    case personalSettings = "personal-settings"
    case authenticationUsers = "authentication-users"
    case departmentIDs = "department-ids"
    case settingsRegistration = "settings-registration"
    case paperTypes = "paper-types"
    case printerSettings = "printer-settings"
    case forwardingRules = "forwarding-rules"
    case favorites
    case buttons
    case securityPolicy = "security-policy"
    case certificates
    case boxDocuments = "box-documents"

    public var displayName: String {
        switch self {
        case .addressBook: "Address Book"
        case .userGroupAddressLists: "User Group Address Lists"
        case .personalSettings: "Personal Setting Information"
        case .authenticationUsers: "Authentication users"
        case .departmentIDs: "Department IDs"
        case .settingsRegistration: "Settings/Registration"
        case .paperTypes: "Paper types"
        case .printerSettings: "Printer settings"
        case .forwardingRules: "Forwarding rules"
        case .favorites: "Favorite settings"
        case .buttons: "Personal/Shared buttons"
        case .securityPolicy: "Security policy"
        case .certificates: "Keys and certificates"
        case .boxDocuments: "Advanced Box / Mail Box documents"
        }
    }

    /// R5, R6, R11: personalized setting values and group management data, which custom-settings
    /// synchronization restricts.
    public var isSubjectToSettingsSync: Bool {
        self == .personalSettings || self == .userGroupAddressLists
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// R9: how far a category travels between models (Canon's A/B/C/No tags).
public enum CrossModelClass: String, Codable, Sendable, CaseIterable {
    /// Imports only into the same model.
    case a = "A"
    /// Imports into models of the same series.
    case b = "B"
    /// Imports into other models too.
    case c = "C"
    /// Never imported.
    case no = "No"
}
