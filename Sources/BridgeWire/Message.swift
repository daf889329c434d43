import Foundation
import MFPKit

/// Control messages: the JSON bodies of request, response and event frames (docs/protocol.md,
/// "Control messages"). Every body is one JSON object whose `op` names it.
public enum Request: Sendable, Equatable {
    /// Opens a session; the device picks the highest version both sides speak.
    case hello(minVersion: Int, maxVersion: Int, software: String)
    /// R1, step 1: asks for the account's salt and a fresh nonce.
    case loginChallenge(user: String)
    /// R1, step 2: HMAC-SHA-256 of the nonce keyed by SHA-256(salt || password), in hex.
    case login(user: String, proof: String)
    case status
    /// What the machine can take: capacities and cross-model classes (R9).
    case capabilities
    /// R4/R5: takes the device's exclusive import/export reservation, if nothing blocks it.
    case reserve(operation: String, categories: [SettingCategory])
    case keepalive(token: String)
    case release(token: String)
    /// Asks for a consistent snapshot of these categories, sent as a resumable stream (the device
    /// sends; the host receives and offers its checkpoints first).
    case exportOpen(token: String, categories: [CategorySelection])
    /// Announces the content the host will send as a resumable stream into the device's durable
    /// import staging; `transferID` names the content (a rerun with the same one continues).
    case importBegin(token: String, origin: BundleOrigin, categories: [CategorySelection], size: Int, sha256: String, transferID: UInt64)
    /// The device checks the received content, plans it by its own rules and stages it durably (R3).
    case importStage(token: String)
    /// Applies the staged import in one atomic step.
    case importCommit(token: String)
    case importAbort(token: String)
    /// Large payload (R3): the device sends its box documents as a resumable stream (it is the
    /// stream's sender; the host receives and offers its checkpoints first).
    case boxExportOpen(token: String)
    /// The host will send box documents as a resumable stream into the device's durable staging.
    /// `trailer` is the box backup's sealed trailer in hex: the device checks its seal, the origin's
    /// display language (R7) and the box documents' class (R9) itself, and later applies only the
    /// content it describes.
    case boxImportBegin(token: String, transferID: UInt64, size: UInt64, trailer: String)
    /// Applies the fully received staging in one atomic step, if its size and chain hash match.
    case boxImportCommit(token: String, size: UInt64, chain: String)
    /// Whether the machine applied this transfer (`operation` `import` or `box-restore`): asked by a
    /// host that lost the answer to its commit. Needs no reservation.
    case transferOutcome(operation: String, transferID: UInt64)

    public var op: String {
        switch self {
        case .hello: "hello"
        case .loginChallenge: "login-challenge"
        case .login: "login"
        case .status: "status"
        case .capabilities: "capabilities"
        case .reserve: "reserve"
        case .keepalive: "keepalive"
        case .release: "release"
        case .exportOpen: "export-open"
        case .importBegin: "import-begin"
        case .importStage: "import-stage"
        case .importCommit: "import-commit"
        case .importAbort: "import-abort"
        case .boxExportOpen: "box-export-open"
        case .boxImportBegin: "box-import-begin"
        case .boxImportCommit: "box-import-commit"
        case .transferOutcome: "transfer-outcome"
        }
    }
}

public enum Response: Sendable, Equatable {
    case hello(version: Int, model: String, serialNumber: String, firmware: String)
    case challenge(salt: String, nonce: String)
    case loggedIn(user: String, role: String)
    case status(DeviceStatus)
    case capabilities(DeviceCapabilities)
    case reserved(token: String, expiresInSeconds: Int)
    /// The export snapshot follows as a resumable stream on `stream`: `size` bytes with this
    /// SHA-256; `transferID` names the content on this machine (a rerun with the same one continues).
    case exportReady(stream: UInt32, transferID: UInt64, size: Int, sha256: String, origin: BundleOrigin)
    case importReady(stream: UInt32)
    /// A resumable stream follows on `stream` (docs/protocol.md, "Resumable streams").
    case streamReady(stream: UInt32, transferID: UInt64, size: UInt64, documents: Int, origin: BundleOrigin)
    /// What the device staged (its own plan) or applied.
    case importPlan(ImportPlan)
    /// The answer to transfer-outcome: applied (and when, if the machine knows), or not.
    case transferOutcome(applied: Bool, appliedAt: Date?)
    case ok
    case failure(DeviceFailure)
}

/// A refusal or error from the device, with the rule behind it where there is one.
public struct DeviceFailure: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public enum Code: String, Codable, Sendable {
        case unsupportedVersion = "unsupported-version"
        case badRequest = "bad-request"
        case authenticationRequired = "authentication-required"
        case authenticationFailed = "authentication-failed"
        case lockedOut = "locked-out"
        case notAdministrator = "not-administrator"
        case refused
        case busy
        case notReserved = "not-reserved"
        /// R7, R9, R10, R11: the device's compatibility rules refuse the import.
        case incompatible
        /// The transferred content did not match its size or digest.
        case damaged
        /// The transferred content has not all arrived: what did is kept, a rerun continues it.
        case incomplete
    }

    public var code: Code
    public var message: String
    public var rule: RuleID?
    public var blockers: [Blocker]

    public init(code: Code, message: String, rule: RuleID? = nil, blockers: [Blocker] = []) {
        self.code = code
        self.message = message
        self.rule = rule
        self.blockers = blockers
    }

    public var description: String { message }
}

public struct MessageDecodingError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
