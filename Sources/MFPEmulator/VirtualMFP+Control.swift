import BridgeWire
import Foundation
import MFPKit

extension VirtualMFP {
    /// Carries out a control command and returns what to print (a job id, a status, or "ok").
    public func apply(_ command: ControlCommand) throws -> String {
        if command == .digests { return try settingsDigests() }
        if [.unplug, .replug, .powerCut].contains(command) { return try applyPhysical(command) }
        if case let .boxSize(bytes) = command {
            try box.regenerate(size: bytes, seed: Self.fixtureSeed(profile) &+ UInt64(bytes))
            try mutate { core in core.state.boxGeneration = (core.state.boxGeneration ?? 0) + 1 }
            return "ok"
        }
        return try mutate { core in
            expireReservation(&core)
            let busy = core.reservation != nil
            switch command {
            case let .jobStart(function):
                // R4: while an import/export holds the device, it refuses these functions.
                if busy, function.refusedDuringImportExport {
                    throw EmulatorError("busy: import/export in progress (R4); \(function.displayName) refused")
                }
                if core.state.power == .shuttingDown {
                    throw EmulatorError("the machine is shutting down; \(function.displayName) refused")
                }
                if core.state.power == .sleep { core.state.power = .ready }
                let id = "J\(core.state.nextJobNumber)"
                core.state.nextJobNumber += 1
                core.state.jobs.append(ActiveJob(id: id, function: function, startedAt: now()))
                return id
            case let .jobFinish(id):
                guard let id else {
                    core.state.jobs.removeAll()
                    return "ok"
                }
                guard core.state.jobs.contains(where: { $0.id == id }) else {
                    throw EmulatorError("no active job \(id); active: \(core.state.jobs.map(\.id).joined(separator: ", "))")
                }
                core.state.jobs.removeAll { $0.id == id }
                return "ok"
            case let .errorRaise(code):
                core.state.errorCode = code
            case .errorClear:
                core.state.errorCode = nil
            case .sleep:
                // R4: the machine does not enter sleep mode during an import/export.
                if busy { throw EmulatorError("busy: import/export in progress (R4); sleep refused") }
                if core.state.power == .shuttingDown { throw EmulatorError("the machine is shutting down") }
                core.state.power = .sleep
            case .wake:
                if core.state.power == .sleep { core.state.power = .ready }
            case .shutdown:
                core.state.power = .shuttingDown
            case .boot:
                core.state.power = .ready
                core.state.jobs.removeAll()
                core.reservation = nil
            case let .syncRole(role):
                core.state.sync.role = role
                if role == .none { core.state.sync.state = .stopped }
            case let .syncState(state):
                core.state.sync.state = state
            case .syncPrepareExport:
                core.state.sync.exportPreparedAt = now()
            case let .syncDestination(destination):
                core.state.sync.connectionDestination = destination
            case let .policyPassword(password):
                core.state.securityPolicyPasswordHash = password.map(SecurityPolicyPassword.hash(password:))
            case let .adminPassword(password):
                let salt = LoginProof.randomBytes(16)
                core.state.accounts[profile.administrator.user] = EmulatorState.Account(
                    salt: salt, verifier: LoginProof.verifier(password: password, salt: salt), role: "Administrator")
            case let .noise(bytes):
                core.pendingNoise += bytes
            case let .corrupt(writes):
                core.pendingFlips += writes
            case let .drop(writes):
                core.pendingDrops += writes
            case let .lineSpeed(baud):
                core.lineSpeed = baud
            case let .loseAnswer(op):
                core.loseAnswerTo = op
            case let .freezeAfter(op):
                core.freezeAfter = op
            case .thaw:
                core.freezeAfter = nil
                core.frozen = false
            case .unlockLogins:
                core.state.failedLogins = 0
                core.state.lockedUntil = nil
            case .digests, .boxSize, .unplug, .replug, .powerCut:
                return ""
            case .state:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                return String(decoding: try encoder.encode(makeStatus(core)), as: UTF8.self)
            }
            return "ok"
        }
    }
}

extension VirtualMFP {
    /// What tests compare to prove "the device's settings are byte-for-byte unchanged".
    func settingsDigests() throws -> String {
        struct Entry: Encodable {
            var items: Int
            var sha256: String
        }
        let digests = try settings.digests()
        let counts = try settings.counts()
        var result: [String: Entry] = [:]
        for (category, digest) in digests {
            result[category.rawValue] = Entry(items: counts[category] ?? 0, sha256: digest)
        }
        result["security-policy-password"] = Entry(items: 0, sha256: core.withLock { $0.state.securityPolicyPasswordHash } ?? "none")
        let boxSummary = try box.summary()
        result["box-documents"] = Entry(
            items: boxSummary.documents, sha256: try box.contentChain().bytes.map { String(format: "%02x", $0) }.joined())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(result), as: UTF8.self)
    }
}
