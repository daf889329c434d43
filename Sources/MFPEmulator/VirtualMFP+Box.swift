import BridgeLink
import BridgeTransfer
import BridgeWire
import Foundation
import MFPBundle
import MFPKit

// Box documents, the large payload, on the device side: exports are resumable streams the device
// sends (its journal in STATE/box/export.journal), imports are received into a durable staging
// that survives restarts and are applied in one atomic step (R3).
extension VirtualMFP {
    var exportJournalPath: String { store.directory + "/box/export.journal" }

    /// Identifies the content: a resumed export never continues a different content.
    func boxTransferID() throws -> UInt64 {
        let generation = UInt64(core.withLock { $0.state.boxGeneration ?? 0 })
        return [Self.fixtureSeed(profile), generation, try box.currentSize()]
            .reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ $1) &* 0x100_0000_01B3 }
    }

    func boxExportOpen(token: String, session: inout Session) throws -> Response {
        try requireReservation(token, for: ["box-backup"])
        let transferID = try boxTransferID()
        let summary = try box.summary()
        let stream = session.nextStream
        session.nextStream &+= 1
        session.pendingBox = (stream, transferID, true)
        return .streamReady(
            stream: stream, transferID: transferID, size: summary.bytes, documents: summary.documents,
            origin: origin(status()))
    }

    /// The device's own checks of a box restore, whatever the host checked: the backup's sealed
    /// trailer must open (R8), come from a machine of this display language (R7) and of a model
    /// the box documents' class allows (R9); the staging is applied later only if it is the
    /// content this trailer seals.
    func boxImportBegin(token: String, transferID: UInt64, size: UInt64, trailer: String, session: inout Session) throws -> Response {
        try requireReservation(token, for: ["box-restore"])
        guard let sealed = [UInt8](hexString: trailer) else {
            throw DeviceFailure(code: .badRequest, message: "box-import-begin needs the box backup's sealed trailer in hex")
        }
        let description: BoxBackupTrailer
        do {
            description = try BoxBackupTrailer.open(sealed: sealed)
        } catch {
            throw DeviceFailure(
                code: .damaged, message: "the box backup's trailer does not check: \(error.message); nothing was changed", rule: .r8)
        }
        guard description.payloadSize == size, let chainBytes = description.chainBytes, let chain = ChainHash(chainBytes) else {
            throw DeviceFailure(
                code: .damaged,
                message: "the announced size \(size) is not the sealed trailer's \(description.payloadSize); nothing was changed", rule: .r8
            )
        }
        let status = status()
        // R7: box documents carry settings of the display language they were made in.
        guard description.origin.language == status.language else {
            throw DeviceFailure(
                code: .incompatible,
                message:
                    "the box backup was made on a machine in \(description.origin.language), this machine displays \(status.language); nothing was changed",
                rule: .r7)
        }
        // R9: the class of box documents decides which models they travel to.
        let travel = profile.capabilities.categoryClasses[.boxDocuments] ?? .no
        guard ImportPlanner.allows(travel, from: description.origin, to: profile.capabilities) else {
            throw DeviceFailure(
                code: .incompatible,
                message:
                    "box documents are class \(travel.rawValue) and do not import from \(description.origin.model) into \(profile.capabilities.model); nothing was changed",
                rule: .r9)
        }
        // A staging of another transfer is dropped; one of this transfer is kept, so it resumes.
        let staged = core.withLock { $0.state.boxStagingTransfer }
        if staged != transferID {
            try box.discardStaged()
            try mutate { core in core.state.boxStagingTransfer = transferID }
        }
        core.withLock { $0.boxImportExpectation = (token, size, chain) }
        let stream = session.nextStream
        session.nextStream &+= 1
        session.pendingBox = (stream, transferID, false)
        return .streamReady(stream: stream, transferID: transferID, size: size, documents: 0, origin: origin(status))
    }

    func boxImportCommit(token: String, size: UInt64, chain: String) throws -> Response {
        try requireReservation(token, for: ["box-restore"])
        guard let bytes = [UInt8](hexString: chain), let expected = ChainHash(bytes) else {
            throw DeviceFailure(code: .badRequest, message: "box-import-commit needs a 32-byte chain hash in hex")
        }
        let key = "box \(token) \(size) \(expected)"
        if alreadyCommitted(key) { return .ok } // asked again: the answer was lost
        // Only the content the checked trailer sealed is applied, whatever the host asks for.
        guard let sealed = core.withLock({ $0.boxImportExpectation }), sealed.token == token else {
            throw DeviceFailure(
                code: .badRequest, message: "no box restore begun under \(token): send box-import-begin with the backup's trailer first")
        }
        guard sealed.size == size, sealed.chain == expected else {
            throw DeviceFailure(
                code: .damaged,
                message: "the commit names other content than the box backup's sealed trailer; the box keeps its old content", rule: .r8)
        }
        do {
            try box.applyStaged(expectedSize: sealed.size, expectedChain: sealed.chain, at: now())
        } catch {
            throw DeviceFailure(
                code: .damaged, message: "the staged box documents were not applied: \(error); the box keeps its old content")
        }
        try mutate { core in
            core.state.boxStagingTransfer = nil
            core.state.boxGeneration = (core.state.boxGeneration ?? 0) + 1
            core.lastCommit = key
            core.boxImportExpectation = nil
        }
        logger.notice("box documents applied (\(size) bytes)")
        return .ok
    }

    /// Runs the stream an answer announced, on the server's thread; the engine owns the channel meanwhile.
    func runBoxStream(_ pending: (stream: UInt32, transferID: UInt64, sending: Bool), channel: FrameChannel) {
        var configuration = StreamConfiguration.forLink(channel.link.framing)
        // A host that died mid-stream sends nothing more: give up soon, so that the host that
        // comes next (to resume) gets its hello answered.
        configuration.stallTimeout = .seconds(5)
        runningStream {
            do {
                if pending.sending {
                    let journal = try TransferJournal.open(path: exportJournalPath)
                    defer { journal.close() }
                    let sender = StreamSender(
                        channel: channel, streamID: pending.stream, transferID: pending.transferID,
                        source: try box.source(), journal: journal, configuration: configuration)
                    let result = try sender.run()
                    logger.info("box export sent \(result.bytesTransferred) bytes, resumed from \(result.resumedFrom)")
                } else {
                    let sink = try box.stagingSink()
                    defer { sink.close() }
                    let receiver = StreamReceiver(
                        channel: channel, streamID: pending.stream, sink: sink,
                        transferID: pending.transferID, configuration: configuration)
                    let result = try receiver.run()
                    logger.info("box import received \(result.bytesTransferred) bytes, resumed from \(result.resumedFrom)")
                }
            } catch {
                logger.info("box stream \(pending.stream) ended: \(error)")
            }
        }
    }
}
