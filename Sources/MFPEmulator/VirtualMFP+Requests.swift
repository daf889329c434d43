import BridgeWire
import Foundation
import MFPKit

extension VirtualMFP {
    /// Answers one request of a host connection.
    public func handle(_ request: Request, session: inout Session) -> Response {
        do {
            return try answer(request, session: &session)
        } catch let failure as DeviceFailure {
            return .failure(failure)
        } catch {
            logger.error("request \(request.op) failed: \(error)")
            return .failure(DeviceFailure(code: .badRequest, message: "the device could not complete \(request.op): \(error)"))
        }
    }

    private func answer(_ request: Request, session: inout Session) throws -> Response {
        switch request {
        case let .hello(minVersion, maxVersion, _):
            // A new hello on the link means the previous host on it is gone.
            endSession(session)
            let owner = session.owner
            session = Session()
            session.owner = owner
            let version = min(maxVersion, ProtocolVersion.maximum)
            guard version >= max(minVersion, ProtocolVersion.minimum) else {
                throw DeviceFailure(
                    code: .unsupportedVersion,
                    message:
                        "the device speaks protocol versions \(ProtocolVersion.minimum)-\(ProtocolVersion.maximum), the host \(minVersion)-\(maxVersion)"
                )
            }
            return .hello(
                version: version, model: profile.model, serialNumber: profile.serialNumber,
                firmware: profile.firmwareVersion)

        case let .loginChallenge(user):
            let salt = core.withLock { $0.state.accounts[user]?.salt }
            // An unknown user gets a challenge too, so that names cannot be probed.
            let nonce = LoginProof.randomBytes(32)
            session.pendingChallenge = (user, nonce)
            return .challenge(salt: (salt ?? LoginProof.randomBytes(16)).hexString, nonce: nonce.hexString)

        case let .login(user, proof):
            return try login(user: user, proof: proof, session: &session)

        case .status:
            try requireAdministrator(session)
            return .status(status())

        case .capabilities:
            try requireAdministrator(session)
            return .capabilities(profile.capabilities)

        case let .reserve(operation, categories):
            try requireAdministrator(session)
            return try reserve(operation: operation, categories: Set(categories), owner: session.owner)

        case let .keepalive(token):
            try requireAdministrator(session)
            return try mutate { core in
                expireReservation(&core)
                guard var reservation = core.reservation, reservation.token == token else {
                    throw DeviceFailure(
                        code: .notReserved, message: "the import/export reservation has lapsed; start the operation again", rule: .r4)
                }
                reservation.expires = now().addingTimeInterval(TimeInterval(Self.reservationSeconds))
                core.reservation = reservation
                return .ok
            }

        case let .release(token):
            try requireAdministrator(session)
            if session.incoming?.token == token { session.incoming = nil }
            try? settings.discardStaged(token: token)
            return try mutate { core in
                if core.reservation?.token == token {
                    core.reservation = nil
                    resumeSync(&core)
                }
                return .ok
            }

        case let .exportOpen(token, selections):
            try requireAdministrator(session)
            return try exportOpen(token: token, selections: selections, session: &session)
        case let .importBegin(token, origin, selections, size, sha256, transferID):
            try requireAdministrator(session)
            return try importBegin(
                token: token, origin: origin, selections: selections, size: size, sha256: sha256,
                transferID: transferID, session: &session)
        case let .importStage(token):
            try requireAdministrator(session)
            return try importStage(token: token, session: &session)
        case let .importCommit(token):
            try requireAdministrator(session)
            return try importCommit(token: token)
        case let .boxExportOpen(token):
            try requireAdministrator(session)
            return try boxExportOpen(token: token, session: &session)
        case let .boxImportBegin(token, transferID, size, trailer):
            try requireAdministrator(session)
            return try boxImportBegin(token: token, transferID: transferID, size: size, trailer: trailer, session: &session)
        case let .boxImportCommit(token, size, chain):
            try requireAdministrator(session)
            return try boxImportCommit(token: token, size: size, chain: chain)
        case let .transferOutcome(operation, transferID):
            try requireAdministrator(session)
            return try transferOutcome(operation: operation, transferID: transferID)
        case let .importAbort(token):
            try requireAdministrator(session)
            session.incoming = nil
            try settings.discardStaged(token: token)
            // An abort forgets the import: a later one starts from zero.
            try discardReceivedImport()
            return .ok
        }
    }

    /// R1: salted verifier, challenge-response, lockout after repeated failures.
    private func login(user: String, proof: String, session: inout Session) throws -> Response {
        guard let challenge = session.pendingChallenge, challenge.user == user else {
            throw DeviceFailure(code: .badRequest, message: "login without a challenge; ask for one first", rule: .r1)
        }
        session.pendingChallenge = nil
        return try mutate { core -> Result<Response, DeviceFailure> in
            let now = now()
            if let until = core.state.lockedUntil, until > now {
                let seconds = Int(until.timeIntervalSince(now).rounded(.up))
                throw DeviceFailure(
                    code: .lockedOut,
                    message: "too many failed logins: the device refuses logins for \(seconds) more seconds", rule: .r1)
            }
            guard let account = core.state.accounts[user],
                let candidate = [UInt8](hexString: proof),
                LoginProof.matches(candidate, verifier: account.verifier, nonce: challenge.nonce)
            else {
                core.state.failedLogins += 1
                if core.state.failedLogins >= Self.maxFailedLogins {
                    core.state.lockedUntil = now.addingTimeInterval(Self.lockoutSeconds)
                    core.state.failedLogins = 0
                }
                // Returned, not thrown, so that the failure count is saved with the refusal.
                return .failure(DeviceFailure(code: .authenticationFailed, message: "wrong user name or password", rule: .r1))
            }
            guard account.role == "Administrator" else {
                return .failure(
                    DeviceFailure(
                        code: .notAdministrator,
                        message: "user \(user) is not an administrator; import/export needs the Administrator role", rule: .r1))
            }
            core.state.failedLogins = 0
            core.state.lockedUntil = nil
            session.user = user
            return .success(.loggedIn(user: user, role: account.role))
        }.get()
    }

    private func requireAdministrator(_ session: Session) throws {
        guard session.user != nil else {
            throw DeviceFailure(code: .authenticationRequired, message: "administrator login required", rule: .r1)
        }
    }

    /// R5 on the device side: the device refuses to start while anything blocks it, whatever
    /// the host checked.
    private func reserve(operation: String, categories: Set<SettingCategory>, owner: UInt64) throws -> Response {
        try mutate { core in
            expireReservation(&core)
            let blockers = ImportExportPreflight.blockers(for: makeStatus(core))
            guard blockers.isEmpty else {
                throw DeviceFailure(
                    code: .refused,
                    message: "import/export cannot start: " + blockers.map(\.message).joined(separator: "; "),
                    rule: blockers[0].rule, blockers: blockers)
            }
            let token = LoginProof.randomBytes(8).hexString
            core.reservation = Reservation(
                token: token, operation: operation,
                expires: now().addingTimeInterval(TimeInterval(Self.reservationSeconds)), owner: owner)
            pauseSync(&core)
            return .reserved(token: token, expiresInSeconds: Self.reservationSeconds)
        }
    }
}
