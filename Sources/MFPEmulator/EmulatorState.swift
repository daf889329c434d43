import Foundation
import MFPKit

/// What the virtual machine remembers across restarts (`--state DIR/state.json`).
struct EmulatorState: Codable, Sendable {
    struct Account: Codable, Sendable {
        var salt: [UInt8]
        var verifier: [UInt8]
        var role: String
    }

    var profileName: String
    var power: PowerState
    var errorCode: DeviceErrorCode?
    var jobs: [ActiveJob]
    var nextJobNumber: Int
    var sync: SyncStatus
    /// R10: the machine's security-policy password, as `SecurityPolicyPassword.hash(password:)`.
    var securityPolicyPasswordHash: String?
    var accounts: [String: Account]
    var failedLogins: Int
    var lockedUntil: Date?
    /// Bumped whenever the box content changes, so that a resumed export never mixes two contents.
    var boxGeneration: Int?
    /// The transfer a durable box staging belongs to (kept across restarts so an import resumes).
    var boxStagingTransfer: UInt64?

    static func factoryNew(_ profile: DeviceProfile) -> EmulatorState {
        let salt = LoginProof.randomBytes(16)
        let admin = Account(
            salt: salt,
            verifier: LoginProof.verifier(password: profile.administrator.factoryPassword, salt: salt),
            role: "Administrator")
        return EmulatorState(
            profileName: profile.name, power: .ready, errorCode: nil, jobs: [], nextJobNumber: 1,
            sync: SyncStatus(role: profile.syncRole, state: .stopped),
            securityPolicyPasswordHash: profile.securityPolicyPasswordSet
                ? SecurityPolicyPassword.hash(password: "factory-\(profile.serialNumber)") : nil,
            accounts: [profile.administrator.user: admin], failedLogins: 0, lockedUntil: nil)
    }
}
