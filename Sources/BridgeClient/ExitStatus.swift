import MFPKit

/// The exit codes every command uses (README, "Exit codes").
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    case failure = 1
    case usage = 2
    /// Device not found or unreachable.
    case unreachable = 3
    /// Refused by device state (R5: busy, error code, shutting down).
    case refusedByDeviceState = 4
    /// Authentication (R1).
    case authentication = 5
    /// Bundle damaged, modified or wrong password (R8, R13).
    case bundleRejected = 6
    /// Refused by a compatibility rule (R7, R9, R10, R11).
    case incompatible = 7
    /// Interrupted, resumable.
    case interrupted = 8

    public var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "other failure"
        case .usage: "usage error"
        case .unreachable: "device not found or unreachable"
        case .refusedByDeviceState: "refused by device state (R5: busy, error code, shutting down)"
        case .authentication: "authentication failed (R1)"
        case .bundleRejected: "bundle damaged, modified or wrong password (R8, R13)"
        case .incompatible: "refused by a compatibility rule (R7, R9, R10, R11)"
        case .interrupted: "interrupted, resumable"
        }
    }
}

/// An error a command reports: what happened and what to do, and the exit status it maps to.
public struct BridgeError: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String
    public var blockers: [Blocker]

    public init(_ status: ExitStatus, _ message: String, blockers: [Blocker] = []) {
        self.status = status
        self.message = message
        self.blockers = blockers
    }

    public var description: String { message }
}
