import BridgeLink
import BridgeWire

/// Sends one stream over a ``FrameChannel``: waits for the receiver's offer, decides where to
/// start with ``ResumePlanner`` against the journal, then sends data frames back to back while
/// it has credit, stopping only when all credit is used. Each checkpoint the receiver
/// acknowledges is checked against the sender's own chain and appended to the journal.
///
/// One thread runs `run()`; the channel must carry no other receiver meanwhile (frames of other
/// streams are skipped). Closing the channel from another thread stops `run()` with `.link`.
public final class StreamSender: Sendable {
    public let channel: FrameChannel
    public let streamID: UInt32
    public let transferID: UInt64
    public let source: any StreamSource
    public let journal: TransferJournal?
    public let configuration: StreamConfiguration
    /// Recompute the chain from the source when the journal lacks the receiver's offset (reads the
    /// prefix: off by default).
    public let recomputeFromSource: Bool

    public init(
        channel: FrameChannel, streamID: UInt32, transferID: UInt64, source: any StreamSource,
        journal: TransferJournal?, configuration: StreamConfiguration, recomputeFromSource: Bool = false
    ) {
        self.channel = channel
        self.streamID = streamID
        self.transferID = transferID
        self.source = source
        self.journal = journal
        self.configuration = configuration
        self.recomputeFromSource = recomputeFromSource
    }

    /// Runs the stream to its end: returns once the receiver acknowledged the whole stream durable
    /// with the sender's chain hash.
    public func run() throws(StreamError) -> StreamResult {
        do {
            return try stream()
        } catch {
            // A failure of our own source: tell the receiver at once, so that it (and the
            // reservation it works under) does not wait out its stall timeout.
            if error.code == .file { try? send(.cancel(reason: "the sender stopped: \(error.message)")) }
            throw error
        }
    }

    private func send(_ message: StreamWire.Message) throws(StreamError) {
        do { try channel.send(StreamWire.frame(message, stream: streamID)) } catch { throw StreamError(error) }
    }

    private func stream() throws(StreamError) -> StreamResult {
        var state = try start()
        let size = source.size
        var sentLast = false
        let clock = ContinuousClock()
        var lastLinkRead = clock.now
        while !state.finished {
            if sentLast || state.position >= state.credit {
                try handle(try receiveMessage(timeout: configuration.stallTimeout), &state, &sentLast)
                continue
            }
            // Send one chunk within the credit.
            let position = state.position
            let count = Int(min(UInt64(configuration.chunkSize), size - position, state.credit - position))
            let last = position + UInt64(count) == size
            // The source is read straight into the frame's bytes.
            var readFailure: StreamError?
            let frame = FrameEncoder.encodeData(
                id: streamID, offset: position, flags: last ? .last : [], payloadCount: count, framing: channel.link.framing
            ) { payload in
                do throws(StreamError) {
                    try source.read(at: position, into: payload)
                    state.chain.sent(UnsafeRawBufferPointer(payload), at: position)
                } catch {
                    readFailure = error
                }
            }
            if let readFailure { throw readFailure }
            state.position += UInt64(count)
            state.sentEnds.append(state.position)
            if state.sentEnds.count > inFlightLimit { state.sentEnds.removeFirst(state.sentEnds.count / 2) }
            state.bytesSent += UInt64(count)
            do {
                try channel.sendEncoded(frame)
            } catch {
                throw StreamError(error)
            }
            if last { sentLast = true }
            // Handle whatever is already decoded (no system call), and every 100 ms read the link
            // without waiting: checkpoints are journaled as they come and a cancel is heard soon,
            // even while credit never runs out (a read every few chunks costs measurable CPU).
            let now = clock.now
            let readLink = now - lastLinkRead >= Self.linkReadInterval
            if readLink { lastLinkRead = now }
            while let frame = try receiveDecoded(readingLink: readLink) {
                try handle(frame, &state, &sentLast)
            }
        }
        return StreamResult(
            size: size, chain: state.finalChain, resumedFrom: state.startedAt,
            bytesTransferred: state.bytesSent, checkpoints: state.checkpoints)
    }

    /// Chunk ends kept for checkpoints and rewinds: well over a window's worth.
    private var inFlightLimit: Int { max(2048, Int(configuration.window / UInt64(configuration.chunkSize)) * 4 + 4) }

    // MARK: state

    private struct State {
        /// The next byte to send.
        var position: UInt64
        var chain: SenderChain
        var credit: UInt64
        var startedAt: UInt64
        /// The start and the end of each chunk sent and not yet acknowledged (oldest first):
        /// where a rewind or a checkpoint may point.
        var sentEnds: [UInt64]
        var bytesSent: UInt64 = 0
        var checkpoints = 0
        var finished = false
        /// The chain over the whole stream, once the receiver acknowledged it.
        var finalChain = ChainHash.zero
    }

    private func start() throws(StreamError) -> State {
        while true {
            // The receiver repeats its offer every second; none for the whole stall time means it
            // is gone (or the line loses everything it says).
            guard let message = try receiveMessage(timeout: configuration.stallTimeout) else {
                throw StreamError(
                    code: .timeout, message: "the receiver of stream \(streamID) made no offer for \(configuration.stallTimeout)")
            }
            if case let .offer(window, candidates) = message {
                return try decide(window: window, candidates: candidates)
            }
            if case let .cancel(reason) = message {
                throw StreamError(code: .cancelled, message: "the receiver cancelled stream \(streamID): \(reason)")
            }
        }
    }

    /// The start for an offer: the planner's decision, with the chain rebuilt from the source's
    /// bytes since the start of that block (at most 1 MiB); a point the source does not confirm is
    /// dropped and the next candidate tried.
    private func decide(window: UInt64, candidates: [StreamWire.Candidate]) throws(StreamError) -> State {
        var journalPoints = journal?.records(for: transferID).map(\.point) ?? []
        var offer = candidates.map { (offset: $0.offset, hash: $0.hash) }
        let recompute: ((UInt64) -> ChainPoint?)?
        if let index = source.chainIndex {
            recompute = { [source] offset in (try? index.point(at: offset, of: source)) ?? nil }
        } else if recomputeFromSource {
            recompute = { [source] offset in Self.recompute(source, to: offset) }
        } else {
            recompute = nil
        }
        while true {
            let decision = ResumePlanner.decide(offer: offer, journal: journalPoints, sourceSize: source.size, recompute: recompute)
            let point = decision.point
            var prefix = [UInt8](repeating: 0, count: Int(point.offset - point.blockStart))
            try readSource(at: point.blockStart, into: &prefix)
            if let chain = StreamChain(resumingAt: point, blockPrefix: prefix) {
                return State(
                    position: point.offset, chain: SenderChain(source: source, start: chain), credit: point.offset + window,
                    startedAt: point.offset, sentEnds: [point.offset])
            }
            // The source changed under a journal record: never continue there.
            journalPoints.removeAll { $0 == point }
            offer.removeAll { $0.offset == point.offset }
        }
    }

    private func readSource(at offset: UInt64, into buffer: inout [UInt8]) throws(StreamError) {
        let outcome = buffer.withUnsafeMutableBytes { b in
            Result { () throws(StreamError) in try source.read(at: offset, into: b) }
        }
        try outcome.get()
    }

    static func recompute(_ source: any StreamSource, to offset: UInt64) -> ChainPoint? {
        guard offset <= source.size else { return nil }
        var chain = StreamChain()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while chain.offset < offset {
            let count = Int(min(UInt64(buffer.count), offset - chain.offset))
            let ok = buffer.withUnsafeMutableBytes { b in
                (try? source.read(at: chain.offset, into: UnsafeMutableRawBufferPointer(rebasing: b[0..<count]))) != nil
            }
            guard ok else { return nil }
            buffer.withUnsafeBytes { chain.absorb(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return chain.point
    }

    private func handle(_ message: StreamWire.Message?, _ state: inout State, _ sentLast: inout Bool) throws(StreamError) {
        guard let message else {
            throw StreamError(code: .timeout, message: "the receiver of stream \(streamID) sent nothing for \(configuration.stallTimeout)")
        }
        switch message {
        case .data:
            throw StreamError(code: .protocolViolation, message: "the receiver sent data on stream \(streamID)")
        case let .cancel(reason):
            throw StreamError(code: .cancelled, message: "the receiver cancelled stream \(streamID): \(reason)")
        case let .credit(limit):
            state.credit = max(state.credit, limit)
        case let .rewind(from, limit):
            guard let index = state.sentEnds.lastIndex(of: from) else {
                throw StreamError(
                    code: .protocolViolation, message: "the receiver asked to resend from \(from), not a chunk boundary in flight")
            }
            state.position = from
            state.sentEnds.removeSubrange((index + 1)...)
            state.credit = limit
            sentLast = false
        case let .checkpoint(offset, hash):
            guard let index = state.sentEnds.lastIndex(of: offset) else { return } // stale
            let mine = try state.chain.point(at: offset)
            guard mine.hash == hash else {
                throw StreamError(
                    code: .chainMismatch,
                    message: "stream \(streamID): the receiver's chain at \(offset) is \(hash), ours is \(mine.hash): the bytes differ")
            }
            do {
                try journal?.append(TransferRecord(transferID: transferID, point: mine, totalSize: source.size))
            } catch {
                throw StreamError(error)
            }
            state.checkpoints += 1
            state.sentEnds.removeSubrange(..<index)
            state.chain.acknowledged(offset)
            if offset == source.size && sentLast && state.position == offset {
                state.finished = true
                state.finalChain = mine.hash
            }
        case let .offer(window, candidates):
            // The receiver started over (our first frames were lost, or it could not use the start).
            let fresh = try decide(window: window, candidates: candidates)
            state.position = fresh.position
            state.chain = fresh.chain
            state.credit = fresh.credit
            state.sentEnds = fresh.sentEnds
            sentLast = false
        }
    }

    // MARK: receiving

    private func receiveMessage(timeout: Duration) throws(StreamError) -> StreamWire.Message? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return nil }
            let frame: Frame?
            do { frame = try channel.receive(timeout: remaining) } catch { throw StreamError(error) }
            guard let frame else { return nil }
            if frame.id == streamID, let message = StreamWire.message(frame) { return message }
        }
    }

    /// How often a sender with credit left reads the link without waiting.
    static let linkReadInterval: Duration = .milliseconds(100)

    /// A message already decoded (or, with `readingLink`, what one read without waiting brings).
    private func receiveDecoded(readingLink: Bool = false) throws(StreamError) -> StreamWire.Message? {
        while true {
            let frame: Frame?
            do {
                frame = readingLink ? try channel.receiveWithoutWaiting() : try channel.receive(timeout: .zero)
            } catch {
                throw StreamError(error)
            }
            guard let frame else { return nil }
            if frame.id == streamID, let message = StreamWire.message(frame) { return message }
        }
    }
}
