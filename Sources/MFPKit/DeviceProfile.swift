/// Everything that makes one fictional machine model what it is; loaded from
/// `firmware-fixtures/profiles/NAME.json`.
public struct DeviceProfile: Codable, Sendable, Hashable {
    public var name: String
    public var model: String
    public var series: String
    public var firmwareVersion: String
    public var displayLanguage: String
    public var serialNumber: String
    public var capacities: Capacities
    public var usb: USBIdentity
    public var securityPolicyPasswordSet: Bool
    public var syncRole: SyncRole
    public var categoryClasses: [SettingCategory: CrossModelClass]
    public var administrator: AdministratorDefaults

    public struct Capacities: Codable, Sendable, Hashable {
        public var addressBookEntries: Int
        public var oneTouchEntries: Int
        public var userGroupAddressLists: Int
        public var personalSettingsUsers: Int
        public var authenticationUsers: Int
        public var departmentIDs: Int
        public var settingsItems: Int
        public var boxStorageBytes: Int64
    }

    public struct USBIdentity: Codable, Sendable, Hashable {
        public var vendorID: UInt16
        public var productID: UInt16
        public var manufacturer: String
        public var product: String
        public var serial: String
        public var interfaces: [USBInterface]
    }

    public struct USBInterface: Codable, Sendable, Hashable {
        public var number: UInt8
        public var interfaceClass: UInt8
        public var subclass: UInt8
        public var interfaceProtocol: UInt8
        public var purpose: String
        public var bulkIn: UInt8?
        public var bulkOut: UInt8?
    }

    public struct AdministratorDefaults: Codable, Sendable, Hashable {
        /// The factory-default administrator account, as on real machines.
        public var user: String
        public var factoryPassword: String
    }

    public init(
        name: String, model: String, series: String, firmwareVersion: String,
        displayLanguage: String, serialNumber: String, capacities: Capacities,
        usb: USBIdentity, securityPolicyPasswordSet: Bool, syncRole: SyncRole,
        categoryClasses: [SettingCategory: CrossModelClass], administrator: AdministratorDefaults
    ) {
        self.name = name
        self.model = model
        self.series = series
        self.firmwareVersion = firmwareVersion
        self.displayLanguage = displayLanguage
        self.serialNumber = serialNumber
        self.capacities = capacities
        self.usb = usb
        self.securityPolicyPasswordSet = securityPolicyPasswordSet
        self.syncRole = syncRole
        self.categoryClasses = categoryClasses
        self.administrator = administrator
    }
}
