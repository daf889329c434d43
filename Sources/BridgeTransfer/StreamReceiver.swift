import BridgeLink
import BridgeWire
import Foundation

/// Receives one stream over a ``FrameChannel`` into a ``DurableSink``: offers its durable
/// checkpoints, writes data frames at their offsets, grants credit so the sender never stops,
/// and every ``StreamConfiguration/checkpointBytes`` bytes or ``StreamConfiguration/checkpointInterval``
/// makes the sink durable and only then acknowledges "durable up to X, chain H".
///
/// Checkpoints run on a thread of their own (fsync, sidecar record, checkpoint frame, in that
/// order) while data keeps arriving. One thread runs `run()`; closing the channel from another
/// thread stops it with `.link`. The caller checks the result (size, chain hash) before it
/// publishes anything.
public final class StreamReceiver: Sendable {
    public let channel: FrameChannel
    public let streamID: UInt32
    public let transferID: UInt64
    public let sink: any DurableSink
    public let configuration: StreamConfiguration

    public init(channel: FrameChannel, streamID: UInt32, sink: any DurableSink, transferID: UInt64 = 0, configuration: StreamConfiguration)
    {
        self.channel = channel
        self.streamID = streamID
        self.transferID = transferID
        self.sink = sink
        self.configuration = configuration
    }

    /// Receives to the end of the stream; returns after the final checkpoint was made durable
    /// and sent.
    public func run() throws(StreamError) -> StreamResult {
        do {
            return try receive()
        } catch {
            // A failure of our own file (full disk, a pulled stick): tell the sender at once, so
            // that it stops sending and the reservation is free to release.
            if error.code == .file { cancel(reason: "the receiver stopped: \(error.message)") }
            throw error
        }
    }

    /// Tells the sender to stop, then reads what it still sends until it falls silent (at most a few
    /// seconds): a sender blocked writing into a full link only hears the cancel once it can write.
    private func cancel(reason: String) {
        try? send(.cancel(reason: reason))
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: .seconds(3))
        var drained = 0
        while clock.now < giveUp {
            guard let frame = try? channel.receive(timeout: .milliseconds(300)) else { return }
            guard frame.id == streamID else { continue }
            drained += 1
            if drained % 32 == 0 { try? send(.cancel(reason: reason)) }
        }
    }

    private func receive() throws(StreamError) -> StreamResult {
        let worker = CheckpointWorker(sink: sink, channel: channel, streamID: streamID, transferID: transferID)
        defer { worker.stop() }
        // Hashes on a thread of its own from the start point on (see ChainHasher).
        var hasher: ChainHasher?
        defer { hasher?.stop() }
        let clock = ContinuousClock()
        let window = configuration.window

        var refused: Set<UInt64> = []
        var candidates = try offerCandidates(refused: refused)
        try send(.offer(window: window, candidates: candidates.map { StreamWire.Candidate(offset: $0.offset, hash: $0.hash) }))

        var written: UInt64 = 0
        var started = false
        var startedAt: UInt64 = 0
        var granted: UInt64 = 0
        var lastCheckpoint: UInt64 = 0
        var lastCheckpointTime = clock.now
        var lastUseful = clock.now
        var lastRetransmit = clock.now
        var rewindAsked: UInt64?
        var received: UInt64 = 0

        while true {
            try worker.check()
            let frame: Frame?
            do { frame = try channel.receive(timeout: configuration.retransmitAfter) } catch { throw StreamError(error) }
            let now = clock.now
            if let frame, frame.id == streamID, case let .cancel(reason)? = StreamWire.message(frame) {
                throw StreamError(code: .cancelled, message: "the sender cancelled stream \(streamID): \(reason)")
            }
            guard let frame, frame.id == streamID, case let .data(offset, payload, last)? = StreamWire.message(frame) else {
                if now - lastUseful > configuration.stallTimeout {
                    throw StreamError(
                        code: .timeout, message: "the sender of stream \(streamID) sent nothing for \(configuration.stallTimeout)")
                }
                if now - lastRetransmit >= configuration.retransmitAfter {
                    lastRetransmit = now
                    if started {
                        granted = written + window
                        try send(.rewind(from: written, limit: granted))
                    } else {
                        try send(
                            .offer(window: window, candidates: candidates.map { StreamWire.Candidate(offset: $0.offset, hash: $0.hash) }))
                    }
                }
                continue
            }

            if !started {
                guard let point = candidates.first(where: { $0.offset == offset }) else { continue } // stale
                guard let resumed = try chainAt(point) else {
                    // The part does not hold what this checkpoint says: offer again without it.
                    refused.insert(point.offset)
                    candidates = try offerCandidates(refused: refused)
                    try send(.offer(window: window, candidates: candidates.map { StreamWire.Candidate(offset: $0.offset, hash: $0.hash) }))
                    continue
                }
                hasher = ChainHasher(start: resumed)
                written = offset
                started = true
                startedAt = offset
                granted = offset + window
                lastCheckpoint = offset
                lastCheckpointTime = now
            }

            let end = offset + UInt64(payload.count)
            if offset > written {
                // A gap: a frame was lost. Ask once per position; idle retransmits cover a lost request.
                if rewindAsked != written {
                    rewindAsked = written
                    lastRetransmit = now
                    granted = written + window
                    try send(.rewind(from: written, limit: granted))
                }
                continue
            }
            if end < written || (end == written && !(last && payload.isEmpty)) {
                continue // resent bytes already here: idempotent
            }
            let skip = Int(written - offset)
            let at = written
            let outcome = payload.withUnsafeBytes { all in
                Result { () throws(FileSystemError) in try sink.write(UnsafeRawBufferPointer(rebasing: all[skip...]), at: at) }
            }
            do { try outcome.get() } catch { throw StreamError(error) }
            written = end
            received += UInt64(payload.count - skip)
            lastUseful = now
            rewindAsked = nil
            let due =
                last || written - lastCheckpoint >= configuration.checkpointBytes
                || configuration.checkpointInterval.map { now - lastCheckpointTime >= $0 } == true
            hasher!.absorb(payload, skip: skip, mark: due)

            if last {
                try worker.drain()
                guard let point = hasher!.point(at: written) else {
                    throw StreamError(code: .protocolViolation, message: "stream \(streamID): the chain hash stopped")
                }
                do {
                    try sink.sync()
                    try sink.appendCheckpoint(TransferRecord(transferID: transferID, point: point, totalSize: written))
                } catch {
                    throw StreamError(error)
                }
                try send(.checkpoint(offset: written, hash: point.hash))
                return StreamResult(
                    size: written, chain: point.hash, resumedFrom: startedAt,
                    bytesTransferred: received, checkpoints: worker.completed + 1)
            }
            if due {
                worker.submit(offset: written, hasher: hasher!)
                lastCheckpoint = written
                lastCheckpointTime = now
            }
            if written + window >= granted + window / 4 {
                granted = written + window
                try send(.credit(limit: granted))
            }
        }
    }

    // MARK: helpers

    private func send(_ message: StreamWire.Message) throws(StreamError) {
        do { try channel.send(StreamWire.frame(message, stream: streamID)) } catch { throw StreamError(error) }
    }

    /// The sink's checkpoints that its content can still hold, newest first, then the start.
    private func offerCandidates(refused: Set<UInt64>) throws(StreamError) -> [ChainPoint] {
        let size: UInt64
        do { size = try sink.size() } catch { throw StreamError(error) }
        var seen: Set<UInt64> = [0]
        var out: [ChainPoint] = []
        for record in sink.checkpoints().reversed() where record.point.offset <= size && !refused.contains(record.point.offset) {
            guard seen.insert(record.point.offset).inserted else { continue }
            out.append(record.point)
            if out.count == StreamWire.maxOfferCandidates { break }
        }
        out.append(.start)
        return out
    }

    /// The chain at `point`, rebuilt from the sink's bytes since the point's block start (at most
    /// 1 MiB); nil when they do not hash to the point's chain.
    private func chainAt(_ point: ChainPoint) throws(StreamError) -> StreamChain? {
        if point.offset == 0 { return StreamChain() }
        let count = Int(point.offset - point.blockStart)
        let prefix: [UInt8]
        do { prefix = try sink.read(at: point.blockStart, count: count) } catch { throw StreamError(error) }
        guard prefix.count == count else { return nil }
        return StreamChain(resumingAt: point, blockPrefix: prefix)
    }
}

/// The receiver's checkpoint thread: fsync the sink, take the chain from the hasher, record the
/// checkpoint, then send it, for the newest checkpoint submitted (older ones waiting are superseded).
///
/// `@unchecked Sendable`: every mutable field is read and written only with `condition` locked.
final class CheckpointWorker: @unchecked Sendable {
    private let sink: any DurableSink
    private let channel: FrameChannel
    private let streamID: UInt32
    private let transferID: UInt64
    private let condition = NSCondition()
    private var pending: (offset: UInt64, hasher: ChainHasher)?
    private var busy = false
    private var stopping = false
    private var failure: StreamError?
    private var done = 0
    private var exited = false

    init(sink: any DurableSink, channel: FrameChannel, streamID: UInt32, transferID: UInt64) {
        self.sink = sink
        self.channel = channel
        self.streamID = streamID
        self.transferID = transferID
        let thread = Thread { [self] in loop() }
        thread.name = "mfpbridge checkpoint \(streamID)"
        thread.start()
    }

    /// Checkpoints made durable and sent.
    var completed: Int {
        condition.lock()
        defer { condition.unlock() }
        return done
    }

    /// Checkpoints at `offset`, whose chain `hasher` was told to keep.
    func submit(offset: UInt64, hasher: ChainHasher) {
        condition.lock()
        pending = (offset, hasher)
        condition.broadcast()
        condition.unlock()
    }

    /// Throws the first failure of the thread.
    func check() throws(StreamError) {
        condition.lock()
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    /// Waits until every submitted checkpoint is done.
    func drain() throws(StreamError) {
        condition.lock()
        while (pending != nil || busy) && failure == nil { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    /// Stops the thread and waits until it has left the sink alone (the caller closes it next).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        defer {
            condition.lock()
            exited = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            condition.lock()
            while pending == nil && !stopping { condition.wait() }
            guard !stopping, let (offset, hasher) = pending else {
                condition.unlock()
                return
            }
            pending = nil
            busy = true
            condition.unlock()

            // fsync first: it covers every byte written before the offset was submitted, while the
            // hash of those bytes may still be running.
            var failure: StreamError?
            var point: ChainPoint?
            do {
                try sink.sync()
                point = hasher.point(at: offset)
                if let point { try sink.appendCheckpoint(TransferRecord(transferID: transferID, point: point)) }
            } catch {
                failure = StreamError(error)
            }
            if failure == nil, let point {
                do {
                    try channel.send(StreamWire.frame(.checkpoint(offset: point.offset, hash: point.hash), stream: streamID))
                } catch {
                    failure = StreamError(error)
                }
            }

            condition.lock()
            busy = false
            if failure == nil && point != nil { done += 1 }
            if self.failure == nil { self.failure = failure }
            condition.broadcast()
            let stop = self.failure != nil
            condition.unlock()
            if stop { return }
        }
    }
}
