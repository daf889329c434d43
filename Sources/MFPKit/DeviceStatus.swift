import Foundation

/// The power state a machine reports.
public enum PowerState: String, Codable, Sendable {
    case ready
    case sleep
    case shuttingDown = "shutting-down"
}

/// The machine's part in custom-settings synchronization (R6, R11).
public enum SyncRole: String, Codable, Sendable, CaseIterable {
    case none
    case client
    /// "Server/client": the machine is the synchronization server and a client of itself.
    case server
}

/// Where custom-settings synchronization stands (R6).
public enum SyncState: String, Codable, Sendable, CaseIterable {
    case stopped
    case running
    case pausing
    case paused

    /// R5/R6: "running (including paused or entering pause)".
    public var isActive: Bool { self != .stopped }
}

public struct SyncStatus: Codable, Sendable, Hashable {
    public var role: SyncRole
    public var state: SyncState
    /// R11 (a): when "preparation for exporting user data" last succeeded on the server.
    public var exportPreparedAt: Date?
    /// R11 (b): the connection destination of the server/client machine, e.g. `localhost:8443`.
    public var connectionDestination: String?

    public init(role: SyncRole, state: SyncState, exportPreparedAt: Date? = nil, connectionDestination: String? = nil) {
        self.role = role
        self.state = state
        self.exportPreparedAt = exportPreparedAt
        self.connectionDestination = connectionDestination
    }
}

/// A job or process running on the machine.
public struct ActiveJob: Codable, Sendable, Hashable {
    public var id: String
    public var function: DeviceFunction
    public var startedAt: Date

    public init(id: String, function: DeviceFunction, startedAt: Date) {
        self.id = id
        self.function = function
        self.startedAt = startedAt
    }
}

/// What the device reports about itself: everything the rules are checked against.
public struct DeviceStatus: Codable, Sendable, Hashable {
    public var model: String
    public var series: String
    public var firmware: String
    public var serialNumber: String
    public var language: String
    public var power: PowerState
    public var errorCode: DeviceErrorCode?
    public var activeJobs: [ActiveJob]
    public var sync: SyncStatus
    public var securityPolicyPasswordSet: Bool
    /// Set while an import/export holds the device's exclusive reservation (R4).
    public var importExportInProgress: Bool
    /// How many bytes of box documents the machine holds: a box backup checks its folder has room
    /// before it reserves the machine. Absent on machines that do not say.
    public var boxDocumentBytes: UInt64?

    public init(
        model: String, series: String, firmware: String, serialNumber: String, language: String,
        power: PowerState, errorCode: DeviceErrorCode?, activeJobs: [ActiveJob], sync: SyncStatus,
        securityPolicyPasswordSet: Bool, importExportInProgress: Bool, boxDocumentBytes: UInt64? = nil
    ) {
        self.boxDocumentBytes = boxDocumentBytes
        self.model = model
        self.series = series
        self.firmware = firmware
        self.serialNumber = serialNumber
        self.language = language
        self.power = power
        self.errorCode = errorCode
        self.activeJobs = activeJobs
        self.sync = sync
        self.securityPolicyPasswordSet = securityPolicyPasswordSet
        self.importExportInProgress = importExportInProgress
    }
}
