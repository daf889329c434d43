import BridgeLink
import BridgeTransfer
import BridgeWire
import Foundation
import MFPKit

extension DeviceSession {
    /// R5: the status, if nothing blocks an import/export from starting; refuses naming every blocker.
    public func statusIfIdle(for operation: String) throws(BridgeError) -> DeviceStatus {
        let checked: (status: DeviceStatus, blockers: [Blocker])
        do {
            checked = try ImportExportPreflight.check(self)
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError(.failure, "\(error)")
        }
        let (status, blockers) = checked
        guard blockers.isEmpty else {
            throw BridgeError(.refusedByDeviceState, "\(operation) cannot start: the machine is busy", blockers: blockers)
        }
        return status
    }

    /// R4, R5, R12: takes the device's exclusive reservation; the device refuses while blocked.
    public func reserve(_ operation: String, categories: [SettingCategory]) throws(BridgeError) -> String {
        let response = try call(.reserve(operation: operation, categories: categories), attempts: 1)
        switch response {
        case let .reserved(token, _): return token
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(response, to: "reserve")
        }
    }

    /// Keeps a reservation alive from another thread (every 10 s) while the caller waits, for
    /// example for the operator's confirmation. Stop it before releasing.
    public func keepAlive(_ token: String, every interval: TimeInterval = 10) -> Keepalive {
        let keepalive = Keepalive()
        Thread { [self] in
            while !keepalive.wait(interval) {
                do {
                    _ = try call(.keepalive(token: token), attempts: 1)
                } catch {
                    logger.warning("keepalive failed: \(error)")
                }
            }
        }.start()
        return keepalive
    }

    /// Gives the reservation back; a failure here is logged, not thrown (the reservation lapses anyway).
    public func release(_ token: String) {
        do {
            _ = try call(.release(token: token), attempts: 2)
        } catch {
            // Usually the device is gone (unplugged, off): it frees the reservation itself.
            logger.debug("could not release the reservation: \(error); the device frees it when the link ends, or after 30 seconds")
        }
    }

    /// Reads the selected settings off the device as one consistent snapshot. The content arrives
    /// as a resumable stream into a part file in `pendingFolder` (one per machine), checkpointed
    /// there: an interrupted export keeps it, and a rerun while the machine holds the same content
    /// continues from the last checkpoint. The part is removed once the content checked out.
    public func exportSettings(
        token: String, selections: [CategorySelection], pendingFolder: String,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) throws(BridgeError) -> ExportedSettings {
        let response = try call(.exportOpen(token: token, categories: selections), attempts: 1)
        guard case let .exportReady(stream, transferID, size, sha256, origin) = response else {
            if case let .failure(failure) = response { throw Self.failure(failure) }
            throw Self.unexpected(response, to: "export-open")
        }
        let part = try openExportPart(folder: pendingFolder, transferID: transferID)
        defer { part.close() }
        let damagedBefore = channel.damagedFrames
        let result = try receiveStream(
            stream: stream, transferID: transferID,
            into: ProgressSink(part, total: size, report: progress), advice: .settings)
        let bytes: [UInt8]
        do {
            bytes = try part.read(at: 0, count: size)
        } catch {
            throw BridgeError(.failure, "cannot read back the received export: \(error); nothing was written")
        }
        // The digest is checked before anything is used: the stream's chain proves the bytes
        // match the device's, the digest that they are the content it announced.
        guard result.size == UInt64(size), SettingsStream.digest(bytes) == sha256 else {
            try? part.discard()
            throw BridgeError(.failure, "the export arrived damaged (digest mismatch); nothing was written, run the export again")
        }
        let snapshot: SettingsSnapshot
        do {
            snapshot = try SettingsStream.decode(bytes)
        } catch {
            try? part.discard() // continuing it would end the same way
            throw BridgeError(.failure, "the device sent settings this bridge cannot read: \(error)")
        }
        do {
            try part.discard()
        } catch {
            logger.warning("could not remove the received export \(part.partPath): \(error)")
        }
        return ExportedSettings(
            origin: origin, snapshot: snapshot, resumedFrom: result.resumedFrom,
            damagedFrames: channel.damagedFrames - damagedBefore)
    }

    /// Sends content to import as a resumable stream into the device's durable import staging;
    /// the device then plans it by its own rules and stages it (R3). The transfer is named by the
    /// content and the machine, so a rerun with the same bundle continues where the last one
    /// stopped.
    public func stageImport(
        token: String, origin: BundleOrigin, selections: [CategorySelection], content: SettingsSnapshot,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) throws(BridgeError) -> StagedImport {
        let bytes = SettingsStream.encode(content)
        let digest = SettingsStream.digest(bytes)
        let transferID = SettingsStream.transferID(digest: digest, serialNumber: device?.serialNumber ?? "")
        let begin = try call(
            .importBegin(
                token: token, origin: origin, categories: selections, size: bytes.count,
                sha256: digest, transferID: transferID), attempts: 1)
        guard case let .importReady(stream) = begin else {
            if case let .failure(failure) = begin { throw Self.failure(failure) }
            throw Self.unexpected(begin, to: "import-begin")
        }
        let result: StreamResult
        do {
            result = try sendStream(
                stream: stream, transferID: transferID,
                source: ProgressSource(base: BytesSource(bytes), report: progress), journal: nil, advice: .settings)
        } catch let interruption where interruption.status == .interrupted && !linkGone {
            // The final acknowledgement may have been lost on a noisy line although every byte
            // arrived: the device checks size and digest itself before it stages anything.
            logger.info("stream ended without its final acknowledgement (\(interruption.message)); asking the device to check and stage")
            do {
                return StagedImport(plan: try stage(token: token), resumedFrom: 0, transferID: transferID)
            } catch let refusal where refusal.status != .interrupted && refusal.status != .unreachable {
                throw refusal // the device answered: its rules refuse it, or it arrived damaged and was dropped
            } catch {
                throw interruption // incomplete, or the device is gone: resumable
            }
        }
        return StagedImport(plan: try stage(token: token), resumedFrom: result.resumedFrom, transferID: transferID)
    }

    /// Applies the staged import in one atomic step on the device. When the machine stops
    /// answering after it was asked (frozen, the cable pulled), whether it applied the import is
    /// not known: that is an interruption (exit 8) whose next run asks the machine (`transferOutcome`).
    public func commitImport(token: String) throws(BridgeError) {
        // Asked again when no answer comes: the device answers a repeated commit of the same
        // reservation ok without applying twice, so a lost answer never ends as a false failure.
        let response: Response
        var sent = false
        do {
            response = try call(.importCommit(token: token), timeout: commitPatience, attempts: 6, sent: &sent)
        } catch  where (error.status == .unreachable || error.status == .interrupted) && sent {
            throw Self.unknownOutcome(of: "import", error)
        }
        switch response {
        case .ok: return
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(response, to: "import-commit")
        }
    }

    /// Whether the machine applied this transfer (`import` or `box-restore`), and when: the truth a
    /// host asks for after it lost the answer to a commit.
    public func transferOutcome(operation: String, transferID: UInt64) throws(BridgeError) -> (applied: Bool, at: Date?) {
        let response = try call(.transferOutcome(operation: operation, transferID: transferID))
        switch response {
        case let .transferOutcome(applied, at): return (applied, at)
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(response, to: "transfer-outcome")
        }
    }

    /// The machine went silent, or away, after it was asked to apply: say that the outcome is not
    /// known and how it will be learnt (exit 8).
    static func unknownOutcome(of operation: String, _ error: BridgeError) -> BridgeError {
        BridgeError(
            .interrupted,
            "the machine was asked to apply the \(operation) and then stopped answering (\(error.message)): "
                + "whether it applied it is NOT known yet. Run the same command again once the machine answers (or use --wait): "
                + "it asks the machine whether the \(operation) was applied and reports the truth, without sending anything twice")
    }

    /// import-stage: the device checks what it received and stages its own plan of it.
    private func stage(token: String) throws(BridgeError) -> ImportPlan {
        let staged = try call(.importStage(token: token), timeout: .seconds(60), attempts: 1)
        switch staged {
        case let .importPlan(plan): return plan
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(staged, to: "import-stage")
        }
    }

    /// Where a settings export from this machine keeps its received stream: `FOLDER/SERIAL.settings-export`
    /// (the part file `.part` and its checkpoints `.part.ckpt` beside it).
    public static func settingsExportPath(folder: String, serialNumber: String) -> String {
        "\(folder)/\(machineFileName(serialNumber)).settings-export"
    }

    /// The host's part file for a settings export from this machine; another content's part is
    /// started afresh.
    private func openExportPart(folder: String, transferID: UInt64) throws(BridgeError) -> PartFile {
        do {
            try DurableFile.makeDirectory(folder)
            return try PartFile.open(
                path: Self.settingsExportPath(folder: folder, serialNumber: device?.serialNumber ?? "unknown"),
                transferID: transferID)
        } catch {
            throw BridgeError(.failure, "cannot keep the export's stream in \(folder): \(error)")
        }
    }
}

/// Settings read off a machine, and where their transfer started (past 0 when it resumed).
public struct ExportedSettings: Sendable {
    public var origin: BundleOrigin
    public var snapshot: SettingsSnapshot
    public var resumedFrom: UInt64
    /// Frames the line damaged during the transfer (each was sent again).
    public var damagedFrames: Int
}

/// What the device staged (its own plan), and where the transfer started (past 0 when it resumed).
public struct StagedImport: Sendable {
    public var plan: ImportPlan
    public var resumedFrom: UInt64
    /// Names the content on this machine: what `transferOutcome` is asked about.
    public var transferID: UInt64
}

/// Stops a keepalive thread.
public final class Keepalive: Sendable {
    private let stopped = DispatchSemaphore(value: 0)

    /// Waits `interval`; true once stopped.
    func wait(_ interval: TimeInterval) -> Bool {
        stopped.wait(timeout: .now() + interval) == .success
    }

    public func stop() {
        stopped.signal()
    }
}
