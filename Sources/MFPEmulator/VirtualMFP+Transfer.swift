import BridgeWire
import Crypto
import Foundation
import MFPKit

// Export and import on the device side. The device checks every rule again, whatever the host
// did: its reservation (R4, R12), R11 for exports, and for imports R7, R9, R10 and R11 through
// the same ImportPlanner the host uses, on the content it actually received.
extension VirtualMFP {
    /// Data frames go out in chunks that suit the link (small on serial lines).
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Returns the operation the reservation was taken for.
    @discardableResult
    func requireReservation(_ token: String, for operations: Set<String>) throws -> String {
        try core.withLock { core in
            expireReservation(&core)
            guard let reservation = core.reservation, reservation.token == token else {
                throw DeviceFailure(code: .notReserved, message: "no import/export reservation \(token): reserve the device first", rule: .r4)
            }
            guard operations.contains(reservation.operation) else {
                throw DeviceFailure(code: .busy, message: "the reservation is for \(reservation.operation), not \(operations.sorted().joined(separator: " or "))", rule: .r12)
            }
            // Activity keeps the reservation alive.
            core.reservation?.expires = now().addingTimeInterval(TimeInterval(Self.reservationSeconds))
            return reservation.operation
        }
    }

    func exportOpen(token: String, selections: [CategorySelection], session: inout Session) throws -> Response {
        // An import reads what it will overwrite (its R2 snapshot) under its own reservation; that
        // read is not an export of user data, so R11's export conditions apply to exports only.
        let operation = try requireReservation(token, for: ["export", "import"])
        let status = status()
        let blockers = operation == "export" ? SyncRestrictions.blockers(.export, selections: selections, sync: status.sync, now: now()) : []
        guard blockers.isEmpty else {
            throw DeviceFailure(code: .incompatible, message: "export refused: " + blockers.map(\.message).joined(separator: "; "),
                                rule: .r11, blockers: blockers)
        }
        let snapshot = try currentContent(selections)
        let bytes = SettingsStream.encode(snapshot)
        let stream = session.nextStream
        session.nextStream &+= 1
        session.pendingExport = (stream, bytes)
        return .exportReady(stream: stream, size: bytes.count, sha256: Self.sha256Hex(bytes), origin: origin(status))
    }

    /// The selected content as the machine holds it, with the security-policy password record (R10).
    func currentContent(_ selections: [CategorySelection]) throws -> SettingsSnapshot {
        var snapshot = try settings.snapshot(Set(selections.map(\.category)))
        for selection in selections {
            snapshot[selection.category] = snapshot[selection.category].filter(selection.contains)
        }
        if selections.contains(where: { $0.category == .securityPolicy }),
           let hash = core.withLock({ $0.state.securityPolicyPasswordHash }) {
            snapshot[.securityPolicy].append(SecurityPolicyPassword.record(hash: hash))
        }
        return snapshot
    }

    func origin(_ status: DeviceStatus) -> BundleOrigin {
        BundleOrigin(model: status.model, series: status.series, firmware: status.firmware,
                     language: status.language, serialNumber: status.serialNumber)
    }

    func importBegin(token: String, origin: BundleOrigin, selections: [CategorySelection], size: Int, sha256: String,
                     session: inout Session) throws -> Response {
        try requireReservation(token, for: ["import"])
        guard size >= 0, size <= 1 << 30 else {
            throw DeviceFailure(code: .badRequest, message: "an import of \(size) bytes is more than this device takes")
        }
        let stream = session.nextStream
        session.nextStream &+= 1
        session.incoming = IncomingImport(token: token, stream: stream, origin: origin, selections: selections,
                                          size: size, sha256: sha256)
        return .importReady(stream: stream)
    }

    /// A data frame of the import being received. Returns false when it does not belong here.
    public func receive(_ frame: Frame, session: inout Session) -> Bool {
        guard var incoming = session.incoming, frame.id == incoming.stream,
              frame.offset == UInt64(incoming.received.count),
              incoming.received.count + frame.payload.count <= incoming.size else { return false }
        incoming.received += frame.payload
        session.incoming = incoming
        // Data arriving keeps the reservation alive (R4).
        core.withLock { core in
            if core.reservation?.token == incoming.token {
                core.reservation?.expires = now().addingTimeInterval(TimeInterval(Self.reservationSeconds))
            }
        }
        return true
    }

    func importStage(token: String, session: inout Session) throws -> Response {
        try requireReservation(token, for: ["import"])
        guard let incoming = session.incoming, incoming.token == token else {
            throw DeviceFailure(code: .badRequest, message: "no import in progress for \(token)")
        }
        session.incoming = nil
        guard incoming.received.count == incoming.size, Self.sha256Hex(incoming.received) == incoming.sha256 else {
            throw DeviceFailure(code: .damaged, message: "the import content arrived incomplete or damaged (\(incoming.received.count) of \(incoming.size) bytes); nothing was changed, run the import again")
        }
        let incomingSnapshot: SettingsSnapshot
        do {
            incomingSnapshot = try SettingsStream.decode(incoming.received)
        } catch {
            throw DeviceFailure(code: .damaged, message: "the import content is not readable: \(error); nothing was changed")
        }
        let plan = ImportPlanner.plan(origin: incoming.origin, incoming: incomingSnapshot, selections: incoming.selections,
                                      target: profile.capabilities, status: status(), current: try currentContent(incoming.selections),
                                      now: now())
        guard !plan.isRefused else {
            throw DeviceFailure(code: .incompatible, message: "import refused: " + plan.refusals.map(\.message).joined(separator: "; "),
                                rule: plan.refusals[0].rule, blockers: plan.refusals)
        }
        var content = plan.content
        // The policy password is machine state, not a stored record: it is set on commit (R10).
        content.categories[.securityPolicy] = content.categories[.securityPolicy]?.filter { $0.id != SecurityPolicyPassword.recordID }
        try settings.stage(content, token: token)
        let newPolicyHash = plan.categories.first { $0.setsSecurityPolicyPassword }
            .flatMap { _ in SecurityPolicyPassword.hash(in: incomingSnapshot[.securityPolicy]) }
        core.withLock { $0.stagedPolicyHash = newPolicyHash.map { (token, $0) } }
        return .importPlan(plan)
    }

    func importCommit(token: String) throws -> Response {
        try requireReservation(token, for: ["import"])
        guard try settings.stagedTokens().contains(token) else {
            throw DeviceFailure(code: .badRequest, message: "nothing staged for \(token); stage the import first")
        }
        try settings.applyStaged(token: token)
        try mutate { core in
            if let (staged, hash) = core.stagedPolicyHash, staged == token {
                core.state.securityPolicyPasswordHash = hash
            }
            core.stagedPolicyHash = nil
        }
        logger.notice("import \(token) applied")
        return .ok
    }
}
