/// The device functions and processes that RULES.md R4 and R5 name, as one type.
///
/// Raw values are the kebab-case names used on the command line, in scenario files and on the wire.
public enum DeviceFunction: String, CaseIterable, Codable, Sendable, Comparable {
    case send
    case forwarding
    case fax
    case reportPrint = "report-print"
    case scanAndStore = "scan-and-store"
    case individualImportExport = "individual-import-export"
    case deviceInformationDelivery = "device-information-delivery"
    case mailboxBackup = "mailbox-backup"
    case batchImportExport = "batch-import-export"
    case iwFunctionFlow = "iw-function-flow"
    case buttonImportExport = "button-import-export"
    case softwareUpdate = "software-update"
    case settingsSync = "settings-sync"
    case webAccess = "web-access"
    case webAccessErrorScreen = "web-access-error-screen"
    case remoteAddressBook = "remote-address-book"
    case touchPanel = "touch-panel"
    case remoteUI = "remote-ui"

    /// The manual's wording, for messages.
    public var displayName: String {
        switch self {
        case .send: "Send job"
        case .forwarding: "Forwarding job"
        case .fax: "Fax/I-fax job"
        case .reportPrint: "Report print job"
        case .scanAndStore: "Scan and Store (Advanced Box/Network/Memory Media)"
        case .individualImportExport: "Individual importing/exporting"
        case .deviceInformationDelivery: "Device Information Delivery"
        case .mailboxBackup: "Mail Box Backup"
        case .batchImportExport: "Batch importing/exporting"
        case .iwFunctionFlow: "Importing/exporting from/to the iW Function Flow"
        case .buttonImportExport: "Importing/exporting Personal/Shared buttons"
        case .softwareUpdate: "Register/Update Software"
        case .settingsSync: "Synchronizing Custom Settings"
        case .webAccess: "Web Access page retrieval"
        case .webAccessErrorScreen: "Web Access error screen"
        case .remoteAddressBook: "Remote Address Book use"
        case .touchPanel: "Operation from the touch panel"
        case .remoteUI: "Operation from the Remote UI"
        }
    }

    /// R5: whether a running instance of this function prevents an import/export from starting.
    /// Touch-panel and Remote UI operation do not (they are only refused while one runs, R4).
    /// Settings sync blocks only personalized data and group management data (R5, R6, R11),
    /// which `ImportExportPreflight` handles per category.
    public var blocksImportExportStart: Bool {
        switch self {
        case .touchPanel, .remoteUI, .settingsSync: false
        default: true
        }
    }

    /// R4: whether the device refuses to start this function while an import/export runs.
    /// Every listed function is refused; settings sync is paused rather than refused (R6).
    public var refusedDuringImportExport: Bool { self != .settingsSync }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
