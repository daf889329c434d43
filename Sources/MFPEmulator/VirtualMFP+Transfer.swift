import BridgeTransfer
import BridgeWire
import Foundation
import MFPKit

// Export and import on the device side. The device checks every rule again, whatever the host
// did: its reservation (R4, R12), R11 for exports, and for imports R7, R9, R10 and R11 through
// the same ImportPlanner the host uses, on the content it actually received.
extension VirtualMFP {
    /// Returns the operation the reservation was taken for.
    @discardableResult
    func requireReservation(_ token: String, for operations: Set<String>) throws -> String {
        try core.withLock { core in
            expireReservation(&core)
            guard let reservation = core.reservation, reservation.token == token else {
                throw DeviceFailure(
                    code: .notReserved, message: "no import/export reservation \(token): reserve the device first", rule: .r4)
            }
            guard operations.contains(reservation.operation) else {
                throw DeviceFailure(
                    code: .busy,
                    message: "the reservation is for \(reservation.operation), not \(operations.sorted().joined(separator: " or "))",
                    rule: .r12)
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
        let blockers =
            operation == "export" ? SyncRestrictions.blockers(.export, selections: selections, sync: status.sync, now: now()) : []
        guard blockers.isEmpty else {
            throw DeviceFailure(
                code: .incompatible, message: "export refused: " + blockers.map(\.message).joined(separator: "; "),
                rule: .r11, blockers: blockers)
        }
        let snapshot = try currentContent(selections)
        let bytes = SettingsStream.encode(snapshot)
        let digest = SettingsStream.digest(bytes)
        // The same content from the same machine keeps its id: a host that was cut off continues.
        let transferID = SettingsStream.transferID(digest: digest, serialNumber: profile.serialNumber)
        let stream = session.nextStream
        session.nextStream &+= 1
        session.pendingSettings = .send(stream: stream, transferID: transferID, bytes: bytes)
        return .exportReady(stream: stream, transferID: transferID, size: bytes.count, sha256: digest, origin: origin(status))
    }

    /// The selected content as the machine holds it, with the security-policy password record (R10).
    func currentContent(_ selections: [CategorySelection]) throws -> SettingsSnapshot {
        var snapshot = try settings.snapshot(Set(selections.map(\.category)))
        for selection in selections {
            snapshot[selection.category] = snapshot[selection.category].filter(selection.contains)
        }
        if selections.contains(where: { $0.category == .securityPolicy }),
            let hash = core.withLock({ $0.state.securityPolicyPasswordHash })
        {
            snapshot[.securityPolicy].append(SecurityPolicyPassword.record(hash: hash))
        }
        return snapshot
    }

    func origin(_ status: DeviceStatus) -> BundleOrigin {
        BundleOrigin(
            model: status.model, series: status.series, firmware: status.firmware,
            language: status.language, serialNumber: status.serialNumber)
    }

    func importBegin(
        token: String, origin: BundleOrigin, selections: [CategorySelection], size: Int, sha256: String,
        transferID: UInt64, session: inout Session
    ) throws -> Response {
        try requireReservation(token, for: ["import"])
        guard size >= 0, size <= 1 << 30 else {
            throw DeviceFailure(code: .badRequest, message: "an import of \(size) bytes is more than this device takes")
        }
        // What arrived of this transfer before (a host cut off, a restart) is kept so that it
        // continues; what arrived of another is dropped.
        try PartFile.open(path: receivedImportPath, transferID: transferID).close()
        let stream = session.nextStream
        session.nextStream &+= 1
        session.incoming = IncomingImport(
            token: token, origin: origin, selections: selections, size: size,
            sha256: sha256, transferID: transferID)
        session.pendingSettings = .receive(stream: stream, transferID: transferID)
        return .importReady(stream: stream)
    }

    func importStage(token: String, session: inout Session) throws -> Response {
        try requireReservation(token, for: ["import"])
        guard let incoming = session.incoming, incoming.token == token else {
            throw DeviceFailure(code: .badRequest, message: "no import in progress for \(token)")
        }
        session.incoming = nil
        let received = try receivedImport(incoming)
        let incomingSnapshot: SettingsSnapshot
        do {
            incomingSnapshot = try SettingsStream.decode(received)
        } catch {
            throw DeviceFailure(code: .damaged, message: "the import content is not readable: \(error); nothing was changed")
        }
        let plan = ImportPlanner.plan(
            origin: incoming.origin, incoming: incomingSnapshot, selections: incoming.selections,
            target: profile.capabilities, status: status(), current: try currentContent(incoming.selections),
            now: now())
        guard !plan.isRefused else {
            throw DeviceFailure(
                code: .incompatible, message: "import refused: " + plan.refusals.map(\.message).joined(separator: "; "),
                rule: plan.refusals[0].rule, blockers: plan.refusals)
        }
        var content = plan.content
        // The policy password is machine state, not a stored record: it is set on commit (R10).
        content.categories[.securityPolicy] = content.categories[.securityPolicy]?.filter { $0.id != SecurityPolicyPassword.recordID }
        try settings.stage(content, token: token, transferID: incoming.transferID)
        let newPolicyHash = plan.categories.first { $0.setsSecurityPolicyPassword }
            .flatMap { _ in SecurityPolicyPassword.hash(in: incomingSnapshot[.securityPolicy]) }
        core.withLock { $0.stagedPolicyHash = newPolicyHash.map { (token, $0) } }
        return .importPlan(plan)
    }

    func importCommit(token: String) throws -> Response {
        try requireReservation(token, for: ["import"])
        if alreadyCommitted("import \(token)") { return .ok } // asked again: the answer was lost
        guard try settings.stagedTokens().contains(token) else {
            throw DeviceFailure(code: .badRequest, message: "nothing staged for \(token); stage the import first")
        }
        try settings.applyStaged(token: token, at: now())
        // Applied: the received stream has served its purpose (a leftover is dropped by the next import).
        do {
            try discardReceivedImport()
        } catch {
            logger.warning("could not remove the received import: \(error)")
        }
        try mutate { core in
            if let (staged, hash) = core.stagedPolicyHash, staged == token {
                core.state.securityPolicyPasswordHash = hash
            }
            core.stagedPolicyHash = nil
            core.lastCommit = "import \(token)"
        }
        logger.notice("import \(token) applied")
        return .ok
    }
}
