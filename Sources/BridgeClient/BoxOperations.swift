import BridgeLink
import BridgeTransfer
import BridgeWire
import Foundation
import MFPBundle
import MFPKit

/// Box documents, the large payload: backed up and restored as resumable streams (R3). Running the
/// same command again after a cut, a kill or a power loss continues from the last durable
/// checkpoint in one round trip.
public enum BoxOperations {
    public struct BackupResult: Sendable {
        public var origin: BundleOrigin
        public var size: UInt64
        public var documents: Int
        public var chain: ChainHash
        public var resumedFrom: UInt64
    }

    /// Receives the device's box documents into `output.part` (checkpointed) after the box backup
    /// preamble, then seals it with a trailer and publishes it under `output` (format 2,
    /// docs/bundle-format.md "Box backups").
    public static func backup(session: DeviceSession, output: String, now: Date = Date()) throws(BridgeError) -> BackupResult {
        let status = try session.statusIfIdle(for: "box backup")
        // Nothing is reserved that cannot be finished here: the folder takes files and has room.
        try LocalRoom.check(forWriting: output, bytes: status.boxDocumentBytes, alreadyThere: PartFile.existingSize(path: output))
        let token = try session.reserve("box-backup", categories: [.boxDocuments])
        defer { session.release(token) }
        let response = try session.call(.boxExportOpen(token: token), attempts: 1)
        guard case let .streamReady(stream, transferID, size, documents, origin) = response else {
            if case let .failure(failure) = response { throw DeviceSession.failure(failure) }
            throw BridgeError(.failure, "the device answered box-export-open unexpectedly")
        }
        let part: PartFile
        do {
            // A part of another content (the box changed since) is not continued.
            part = try PartFile.open(path: output, transferID: transferID)
        } catch {
            throw BridgeError(.failure, "\(error)")
        }
        defer { part.close() }
        do {
            // The preamble is constant, so writing it again on a resumed part changes nothing.
            try BoxBackupFormat.preamble.withUnsafeBytes { try part.write($0, at: 0) }
        } catch {
            throw BridgeError(.failure, "\(error)")
        }
        // The stream's offsets are the payload's: it lands after the preamble.
        let result = try session.receiveStream(
            stream: stream, transferID: transferID,
            into: OffsetSink(part, offset: BoxBackupFormat.payloadOffset), advice: .box)
        guard result.size == size else {
            throw BridgeError(
                .interrupted,
                "the box stream ended at \(result.size) of \(size) bytes; run the same command again (or `mfpbridge resume`) to continue")
        }
        let trailer = BoxBackupTrailer(
            origin: origin, createdAt: now, documents: documents, payloadSize: size,
            payloadChain: result.chain.bytes.map { String(format: "%02x", $0) }.joined()
        ).sealed()
        do {
            let end = BoxBackupFormat.payloadOffset + size
            try trailer.withUnsafeBytes { try part.write($0, at: end) }
            // A trailer left by an earlier run that stopped before publishing may have been longer.
            try part.truncate(to: end + UInt64(trailer.count))
            try part.sync()
            try part.publish()
        } catch {
            throw BridgeError(.failure, "\(error)")
        }
        return BackupResult(origin: origin, size: size, documents: documents, chain: result.chain, resumedFrom: result.resumedFrom)
    }

    /// What a restore did: sent and applied the documents, or found the machine already holding
    /// exactly them (a rerun after a commit whose answer was lost): nothing was sent again.
    public enum RestoreOutcome: Sendable {
        case applied(StreamResult)
        case alreadyApplied(at: Date?)
    }

    /// The transfer id of a box restore: named by its content, so a rerun with the same file resumes it.
    public static func restoreTransferID(_ chain: ChainHash) -> UInt64 {
        chain.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Sends a verified box payload into the device's durable staging, then has it applied in one
    /// atomic step. `sealedTrailer` is the backup's trailer as sealed in its file: the device checks
    /// it itself (R8 seal, R7 language, R9 class) and applies only a staging whose chain is the
    /// trailer's. `journalPath` keeps the sender's checkpoints so a rerun resumes. The host's own
    /// R7/R9 check is the caller's (`box-restore` runs it before this). A machine that already
    /// holds exactly these documents (its answer to an earlier commit was lost) is sent nothing.
    public static func restore(
        session: DeviceSession, payload: any StreamSource, chain: ChainHash, sealedTrailer: [UInt8],
        journalPath: String
    ) throws(BridgeError) -> RestoreOutcome {
        let transferID = restoreTransferID(chain)
        // First the truth: a machine that already holds exactly these documents is not sent them again.
        let outcome = try session.transferOutcome(operation: "box-restore", transferID: transferID)
        if outcome.applied { return .alreadyApplied(at: outcome.at) }
        _ = try session.statusIfIdle(for: "box restore")
        let token = try session.reserve("box-restore", categories: [.boxDocuments])
        defer { session.release(token) }
        let response = try session.call(
            .boxImportBegin(
                token: token, transferID: transferID, size: payload.size,
                trailer: sealedTrailer.map { String(format: "%02x", $0) }.joined()), attempts: 1)
        guard case let .streamReady(stream, _, _, _, _) = response else {
            if case let .failure(failure) = response { throw DeviceSession.failure(failure) }
            throw BridgeError(.failure, "the device answered box-import-begin unexpectedly")
        }
        let journal: TransferJournal
        do {
            journal = try TransferJournal.open(path: journalPath)
        } catch {
            throw BridgeError(.failure, "\(error)")
        }
        defer { journal.close() }
        var result: StreamResult?
        do {
            result = try session.sendStream(stream: stream, transferID: transferID, source: payload, journal: journal, advice: .box)
        } catch let interruption where interruption.status == .interrupted && !session.linkGone {
            // The last acknowledgement may have been lost on a noisy line although every byte
            // arrived: the device checks its staging against size and chain itself, so asking it
            // to commit is safe. If the staging is incomplete, the interruption stands (exit 8).
            session.logger.info(
                "stream ended without its final acknowledgement (\(interruption.message)); asking the device to check and commit")
            do {
                try commitBox(session: session, token: token, size: payload.size, chain: chain)
                return .applied(StreamResult(size: payload.size, chain: chain, resumedFrom: 0, bytesTransferred: 0, checkpoints: 0))
            } catch let unknown where unknown.status == .interrupted {
                throw unknown // asked to apply, then silence: the outcome is not known
            } catch {
                // Incomplete, or the device is gone: the interruption stands, resumable.
                throw interruption
            }
        }
        guard let result, result.chain == chain else {
            throw BridgeError(.failure, "the device received other bytes than were sent (chain mismatch); nothing was applied")
        }
        try commitBox(session: session, token: token, size: payload.size, chain: chain)
        return .applied(result)
    }

    static func commitBox(session: DeviceSession, token: String, size: UInt64, chain: ChainHash) throws(BridgeError) {
        let commit: Response
        var sent = false
        do {
            commit = try session.call(
                .boxImportCommit(
                    token: token, size: size,
                    chain: chain.bytes.map { String(format: "%02x", $0) }.joined()),
                timeout: session.commitPatience, attempts: 6, sent: &sent) // safe to repeat, see commitImport
        } catch  where (error.status == .unreachable || error.status == .interrupted) && sent {
            throw DeviceSession.unknownOutcome(of: "box restore", error)
        }
        switch commit {
        case .ok: return
        case let .failure(failure): throw DeviceSession.failure(failure)
        default: throw BridgeError(.failure, "the device answered box-import-commit unexpectedly")
        }
    }
}
