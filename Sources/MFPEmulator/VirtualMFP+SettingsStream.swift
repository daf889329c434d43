import BridgeLink
import BridgeTransfer
import BridgeWire
import Foundation
import MFPKit

// Settings exports and imports as resumable streams on the device side. An export is sent from
// memory (the snapshot's bytes); an import is received into STATE/settings-import.part with its
// checkpoints beside it, kept across reconnections and restarts until it is applied, aborted or
// replaced by another import, so that a host cut off mid-way continues where it stopped. Only
// `import-stage` reads it, and only `import-commit` changes the settings (R3).
extension VirtualMFP {
    /// A settings stream to run once its answer is sent.
    enum SettingsStreamPlan: Sendable {
        /// An export: the device sends these bytes.
        case send(stream: UInt32, transferID: UInt64, bytes: [UInt8])
        /// An import: the device receives into its import staging.
        case receive(stream: UInt32, transferID: UInt64)
    }

    /// The import's received stream (``PartFile`` adds `.part` and `.part.ckpt`).
    var receivedImportPath: String { store.directory + "/settings-import" }

    /// Runs the stream an answer announced, on the server's thread; the engine owns the channel meanwhile.
    func runSettingsStream(_ plan: SettingsStreamPlan, channel: FrameChannel) {
        var configuration = StreamConfiguration.forLink(channel.link.framing)
        // A host that died mid-stream sends nothing more: give up soon, so that the host that
        // comes next (to resume) gets its hello answered.
        configuration.stallTimeout = .seconds(5)
        runningStream {
            do {
                switch plan {
                case let .send(stream, transferID, bytes):
                    // The bytes are in memory: a resume point the host offers is confirmed by
                    // hashing them again, so no journal is kept.
                    let sender = StreamSender(
                        channel: channel, streamID: stream, transferID: transferID, source: BytesSource(bytes),
                        journal: nil, configuration: configuration, recomputeFromSource: true)
                    let result = try sender.run()
                    logger.info("settings export sent \(result.bytesTransferred) bytes, resumed from \(result.resumedFrom)")
                case let .receive(stream, transferID):
                    let part = try PartFile.open(path: receivedImportPath, transferID: transferID)
                    defer { part.close() }
                    let receiver = StreamReceiver(
                        channel: channel, streamID: stream, sink: part, transferID: transferID,
                        configuration: configuration)
                    let result = try receiver.run()
                    logger.info("settings import received \(result.bytesTransferred) bytes, resumed from \(result.resumedFrom)")
                }
            } catch {
                logger.info("settings stream ended: \(error)")
            }
        }
    }

    /// The whole received import, once its final checkpoint is durable and its digest is the one
    /// `import-begin` announced; an incomplete one stays (a rerun continues it), a damaged one goes.
    func receivedImport(_ incoming: IncomingImport) throws -> [UInt8] {
        let part = try PartFile.open(path: receivedImportPath)
        defer { part.close() }
        guard let last = part.checkpoints().last, last.transferID == incoming.transferID,
            last.point.offset == UInt64(incoming.size), last.totalSize == UInt64(incoming.size)
        else {
            let durable = part.checkpoints().last { $0.transferID == incoming.transferID }?.point.offset ?? 0
            throw DeviceFailure(
                code: .incomplete,
                message:
                    "the import content is incomplete (\(durable) of \(incoming.size) bytes arrived); nothing was changed: run the import again to continue"
            )
        }
        let bytes = try part.read(at: 0, count: incoming.size)
        guard bytes.count == incoming.size, SettingsStream.digest(bytes) == incoming.sha256 else {
            try part.discard()
            throw DeviceFailure(
                code: .damaged,
                message:
                    "the import content arrived damaged (its digest differs from the one announced); nothing was changed, run the import again"
            )
        }
        return bytes
    }

    /// Forgets the received import (applied or aborted).
    func discardReceivedImport() throws {
        try PartFile.open(path: receivedImportPath).discard()
    }

    /// Runs a stream with the line faults of `emulate-ctl corrupt`/`drop` armed. A running stream
    /// is activity under the reservation (R4): it does not lapse meanwhile, and counts from its end.
    func runningStream(_ body: () -> Void) {
        core.withLock { $0.streaming = true }
        defer {
            core.withLock { core in
                core.streaming = false
                core.reservation?.expires = now().addingTimeInterval(TimeInterval(Self.reservationSeconds))
            }
        }
        body()
    }
}
