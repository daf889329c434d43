import BridgeTransfer
import BridgeWire
import Foundation
import Logging
import MFPKit
import Synchronization

/// One virtual multifunction printer: the device side of every rule it enforces itself (R1, R4,
/// R5), whatever the host checked before.
///
/// All state lives behind one lock; every change is saved before it is acknowledged.
public final class VirtualMFP: Sendable {
    public let profile: DeviceProfile
    let store: StateStore
    /// The machine's settings (address books, user settings, ...), in SQLite.
    public let settings: SettingsStore
    /// The machine's Advanced Box / Mail Box documents: the large payload.
    public let box: BoxStore
    /// Generated box content of a new machine (tests and rigs enlarge it with `box size`).
    public static let defaultBoxBytes: UInt64 = 8 << 20
    let logger: Logger
    let now: @Sendable () -> Date
    let core: Mutex<Core>
    /// The transport that can pull the machine's cable (USB), if it has one.
    let attachmentSlot = AttachmentSlot()

    /// R1: consecutive wrong passwords before the administrator account locks, and for how long.
    static let maxFailedLogins = 5
    static let lockoutSeconds: TimeInterval = 60
    /// R4: a reservation lapses when the host stops sending keepalives for this long.
    static let reservationSeconds = 30

    struct Reservation: Sendable {
        var token: String
        var operation: String
        var expires: Date
        /// The link that holds it: a host that reconnects, or a connection that ends, frees it.
        var owner: UInt64
    }

    struct Core: Sendable {
        var state: EmulatorState
        var reservation: Reservation?
        /// Fault injection: garbage owed to the host before the next answer.
        var pendingNoise = 0
        /// Fault injection: flipped bits and dropped bytes owed to the next writes.
        var pendingFlips = 0
        var pendingDrops = 0
        /// A slow line (`emulate-ctl line-speed`): the baud rate both directions keep to, or nil.
        var lineSpeed: Int?
        /// A stream runs: line faults hit streams only (control answers are not all safe to
        /// repeat), and the reservation it runs under does not lapse meanwhile.
        var streaming = false
        /// R10: the policy password a staged import sets when committed.
        var stagedPolicyHash: (token: String, hash: String)?
        /// The last commit carried out ("import TOKEN", "box TOKEN SIZE CHAIN"): the same commit
        /// asked again (its answer was lost) is answered ok, not carried out twice.
        var lastCommit: String?
        /// What the box restore begun under a reservation may apply: the size and chain its
        /// checked trailer seals (in memory: a reservation does not outlive the process).
        var boxImportExpectation: (token: String, size: UInt64, chain: ChainHash)?
        /// Fault injection: the operation whose next answer is lost.
        var loseAnswerTo: String?
        /// Fault injection: the operation after which the machine freezes, and whether it is frozen.
        var freezeAfter: String?
        var frozen = false
    }

    /// Per-connection state: who logged in, and the nonce of the pending challenge.
    public struct Session: Sendable {
        /// The link this session runs on (one host at a time per link).
        var owner: UInt64 = UInt64.random(in: 1 ... .max)
        var user: String?
        var pendingChallenge: (user: String, nonce: [UInt8])?
        /// A settings stream to run after the answer: an export the device sends, an import it receives.
        var pendingSettings: SettingsStreamPlan?
        /// A box stream to run after the answer: the device sends (export) or receives (import).
        var pendingBox: (stream: UInt32, transferID: UInt64, sending: Bool)?
        var incoming: IncomingImport?
        var nextStream: UInt32 = 1
        public init() {}
    }

    /// An import being received: what the host announced (the bytes go to the import staging file).
    struct IncomingImport: Sendable {
        var token: String
        var origin: BundleOrigin
        var selections: [CategorySelection]
        var size: Int
        var sha256: String
        var transferID: UInt64
    }

    /// Loads the machine from `stateDirectory`, or creates it factory-new from its profile.
    public init(
        profile: DeviceProfile, stateDirectory: String, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws {
        self.profile = profile
        self.store = StateStore(directory: stateDirectory)
        self.logger = logger
        self.now = now
        var state: EmulatorState
        if let saved = try store.load() {
            guard saved.profileName == profile.name else {
                throw EmulatorError(
                    "the state in \(stateDirectory) belongs to profile \(saved.profileName), not \(profile.name); use another --state folder"
                )
            }
            state = saved
        } else {
            state = .factoryNew(profile)
            try store.save(state)
        }
        // A machine that was shutting down when it stopped comes back up ready.
        if state.power == .shuttingDown {
            state.power = .ready
            state.jobs.removeAll()
            try store.save(state)
        }
        core = Mutex(Core(state: state, reservation: nil))
        settings = try SettingsStore(
            path: stateDirectory + "/settings.sqlite", profile: profile,
            seed: Self.fixtureSeed(profile))
        box = try BoxStore(directory: stateDirectory + "/box", seed: Self.fixtureSeed(profile), generatedSize: Self.defaultBoxBytes)
        if let recovery = box.recovery { logger.notice("box documents: \(recovery)") }
        // A staged import that was never committed (the host vanished) is dropped at start-up:
        // the machine keeps its old settings (R3).
        for token in try settings.stagedTokens() {
            try settings.discardStaged(token: token)
            logger.notice("an import (\(token)) was staged but never committed before the restart: the machine keeps its old settings")
        }
    }

    /// Each machine's generated data depends on its serial number only.
    static func fixtureSeed(_ profile: DeviceProfile) -> UInt64 {
        profile.serialNumber.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    /// A host that is gone cannot release what it held: its link's reservation goes with it, so
    /// that the operation can be run again at once instead of waiting for the lapse.
    public func endSession(_ session: Session) {
        guard core.withLock({ $0.reservation?.owner == session.owner }) else { return }
        try? mutate { core in
            if let reservation = core.reservation, reservation.owner == session.owner {
                logger.notice("import/export reservation \(reservation.token) released: its host went away")
                core.reservation = nil
                resumeSync(&core)
            }
        }
    }

    /// The status as the device reports it.
    public func status() -> DeviceStatus {
        core.withLock { core in
            expireReservation(&core)
            return makeStatus(core)
        }
    }

    /// True (once) when the answer to this operation is to be lost (`emulate-ctl lose-answer OP`).
    func takeLostAnswer(_ op: String) -> Bool {
        core.withLock { core in
            guard core.loseAnswerTo == op else { return false }
            core.loseAnswerTo = nil
            return true
        }
    }

    /// True while the machine is frozen (`emulate-ctl freeze-after`): requests go unanswered.
    var isFrozen: Bool { core.withLock { $0.frozen } }

    /// True (once) when the machine freezes after this operation; from then on it is frozen.
    func takeFreeze(_ op: String) -> Bool {
        core.withLock { core in
            guard core.freezeAfter == op else { return false }
            core.freezeAfter = nil
            core.frozen = true
            return true
        }
    }

    /// A commit asked again after it was carried out (the host lost the answer): true if `key` was the last one.
    func alreadyCommitted(_ key: String) -> Bool {
        core.withLock { $0.lastCommit == key }
    }

    /// Takes the garbage a `noise` command asked for (random bytes, zeros and frame magic mixed in).
    func takeNoise() -> [UInt8] {
        let count = core.withLock { core in
            defer { core.pendingNoise = 0 }
            return core.pendingNoise
        }
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { index in
            switch index % 7 {
            case 0: 0x00
            case 1: 0x4D
            default: UInt8.random(in: .min ... .max, using: &generator)
            }
        }
    }

    /// The line fault for the next write to a host, if one is owed.
    func takeLineFault() -> LineFault? {
        core.withLock { core in
            guard core.streaming else { return nil }
            if core.pendingFlips > 0 {
                core.pendingFlips -= 1
                return .flipBit
            }
            if core.pendingDrops > 0 {
                core.pendingDrops -= 1
                return .dropBytes
            }
            return nil
        }
    }

    /// The baud rate the line keeps to, or nil at full speed.
    func lineSpeed() -> Int? {
        core.withLock { $0.lineSpeed }
    }

    func makeStatus(_ core: Core) -> DeviceStatus {
        let state = core.state
        return DeviceStatus(
            model: profile.model, series: profile.series, firmware: profile.firmwareVersion,
            serialNumber: profile.serialNumber, language: profile.displayLanguage,
            power: state.power, errorCode: state.errorCode, activeJobs: state.jobs,
            sync: state.sync, securityPolicyPasswordSet: state.securityPolicyPasswordHash != nil,
            importExportInProgress: core.reservation != nil, boxDocumentBytes: try? box.currentSize())
    }

    func expireReservation(_ core: inout Core) {
        // A stream under the reservation is activity: it never lapses mid-stream.
        if !core.streaming, let reservation = core.reservation, reservation.expires < now() {
            logger.notice("import/export reservation \(reservation.token) expired without keepalive")
            core.reservation = nil
            resumeSync(&core)
        }
    }

    /// R6: sync of personalized data pauses while an import/export holds the device.
    func pauseSync(_ core: inout Core) {
        if core.state.sync.state == .running {
            core.state.sync.state = .paused
        }
    }

    func resumeSync(_ core: inout Core) {
        if core.state.sync.state == .paused, core.state.sync.role != .none {
            core.state.sync.state = .running
        }
    }

    /// Applies `change` to the state and saves it; nothing changes if saving fails.
    func mutate<T>(_ change: (inout Core) throws -> T) throws -> T {
        try core.withLock { core in
            var copy = core
            let result = try change(&copy)
            try store.save(copy.state)
            core = copy
            return result
        }
    }
}

extension VirtualMFP {
    /// The profile a state folder belongs to, or `nil` when it holds no state yet.
    public static func savedProfileName(stateDirectory: String) throws -> String? {
        try StateStore(directory: stateDirectory).load()?.profileName
    }
}
