import MFPKit

/// What a test rig or technician can tell the virtual machine to do (`mfpbridge emulate-ctl`,
/// scenario files). Parsed from words, so that the command line and scenario lines agree.
public enum ControlCommand: Sendable, Equatable {
    case jobStart(DeviceFunction)
    case jobFinish(id: String?)   // nil: all
    case errorRaise(DeviceErrorCode)
    case errorClear
    case sleep
    case wake
    case shutdown
    case boot
    case syncRole(SyncRole)
    case syncState(SyncState)
    case syncPrepareExport
    case syncDestination(String?)
    case policyPassword(set: Bool)
    case adminPassword(String)
    case unlockLogins
    case state

    public static let usage = """
    job start FUNCTION          start a job (prints its id); FUNCTION is one of:
                                \(DeviceFunction.allCases.map(\.rawValue).joined(separator: ", "))
    job finish ID|all           finish one job or every job
    error raise CODE            display an error code such as E602-0001
    error clear                 clear the displayed error code
    sleep | wake                enter or leave sleep mode
    shutdown                    begin shutting down (boot brings the machine back)
    boot                        finish a shutdown: the machine restarts ready, with no jobs
    sync role none|client|server
    sync state stopped|running|pausing|paused
    sync prepare-export         "preparation for exporting user data" succeeded now (R11 a)
    sync destination HOST:PORT|none
    policy-password set|clear   whether a security-policy password is set (R10)
    admin-password              set the administrator's password (read from standard input)
    unlock-logins               end an R1 login lockout
    state                       print the device status as JSON
    """

    /// Parses the words of one command; `secret` is the new password for `admin-password`.
    public static func parse(_ words: [String], secret: String? = nil) throws(EmulatorError) -> ControlCommand {
        func fail(_ message: String) -> EmulatorError { EmulatorError("\(message)\nCommands:\n\(usage)") }
        func function(_ name: String) throws(EmulatorError) -> DeviceFunction {
            guard let function = DeviceFunction(rawValue: name) else {
                throw fail("unknown function '\(name)'")
            }
            return function
        }
        switch words {
        case let ["job", "start", name]: return .jobStart(try function(name))
        case ["job", "finish", "all"]: return .jobFinish(id: nil)
        case let ["job", "finish", id]: return .jobFinish(id: id)
        case let ["error", "raise", code]:
            guard let code = DeviceErrorCode(rawValue: code) else { throw fail("'\(code)' is not an error code: \(DeviceErrorCode.formatHelp)") }
            return .errorRaise(code)
        case ["error", "clear"]: return .errorClear
        case ["sleep"]: return .sleep
        case ["wake"]: return .wake
        case ["shutdown"]: return .shutdown
        case ["boot"]: return .boot
        case let ["sync", "role", role]:
            guard let role = SyncRole(rawValue: role) else { throw fail("unknown sync role '\(role)'") }
            return .syncRole(role)
        case let ["sync", "state", state]:
            guard let state = SyncState(rawValue: state) else { throw fail("unknown sync state '\(state)'") }
            return .syncState(state)
        case ["sync", "prepare-export"]: return .syncPrepareExport
        case ["sync", "destination", "none"]: return .syncDestination(nil)
        case let ["sync", "destination", destination]: return .syncDestination(destination)
        case ["policy-password", "set"]: return .policyPassword(set: true)
        case ["policy-password", "clear"]: return .policyPassword(set: false)
        case ["admin-password"]:
            guard let secret, !secret.isEmpty else { throw fail("admin-password needs the new password on standard input") }
            return .adminPassword(secret)
        case ["unlock-logins"]: return .unlockLogins
        case ["state"]: return .state
        default: throw fail("unknown command '\(words.joined(separator: " "))'")
        }
    }
}
