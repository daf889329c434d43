import BridgeTransfer

/// What an interrupted transfer tells the operator to do next.
enum RerunAdvice: String {
    /// Box commands are remembered in `DATA/pending/` and rerun by `mfpbridge resume`.
    case box = "run the same command again (or `mfpbridge resume`) to continue"
    /// Settings exports and imports are rerun by hand (their bundle password and confirmation are
    /// the operator's to give again).
    case settings = "run the same command again to continue"
}

extension DeviceSession {
    /// Runs the receiving side of a resumable stream (the host offers its checkpoints first).
    func receiveStream(
        stream: UInt32, transferID: UInt64, into sink: any DurableSink,
        advice: RerunAdvice
    ) throws(BridgeError) -> StreamResult {
        exchange.lock()
        defer { exchange.unlock() }
        do {
            return try StreamReceiver(
                channel: channel, streamID: stream, sink: sink, transferID: transferID,
                configuration: .forLink(channel.link.framing)
            ).run()
        } catch {
            throw Self.streamFailure(error, advice: advice)
        }
    }

    /// Runs the sending side of a resumable stream. Without a journal, a resume point the device
    /// offers is confirmed by hashing the source's prefix again (small, in-memory sources).
    func sendStream(
        stream: UInt32, transferID: UInt64, source: any StreamSource, journal: TransferJournal?,
        advice: RerunAdvice
    ) throws(BridgeError) -> StreamResult {
        exchange.lock()
        defer { exchange.unlock() }
        linkGone = false
        do {
            var configuration = StreamConfiguration.forLink(channel.link.framing)
            // The receiver speaks at least once a second while it waits; 10 s of silence means
            // the line lost what it said, or the device is gone.
            configuration.stallTimeout = .seconds(10)
            return try StreamSender(
                channel: channel, streamID: stream, transferID: transferID, source: source,
                journal: journal, configuration: configuration, recomputeFromSource: journal == nil
            ).run()
        } catch {
            linkGone = Self.linkIsGone(error)
            throw Self.streamFailure(error, advice: advice)
        }
    }

    /// Whether the link itself failed (cut, closed, the device gone), as opposed to a stream that
    /// fell silent on a link still open (its final acknowledgement lost on a noisy line): only then
    /// is it worth asking the device, on the same link, to check what arrived.
    static func linkIsGone(_ error: StreamError) -> Bool {
        guard error.code == .link, let code = error.linkError?.code else { return false }
        return code == .vanished || code == .closed || code == .io
    }

    /// A lost link mid-stream is resumable (exit 8): what is durable stays, a rerun continues.
    static func streamFailure(_ error: StreamError, advice: RerunAdvice) -> BridgeError {
        switch error.code {
        case .link, .timeout:
            BridgeError(
                .interrupted,
                "the transfer was interrupted (\(error.message)); what arrived up to the last checkpoint is kept: \(advice.rawValue)")
        case .cancelled:
            BridgeError(.failure, "the machine stopped the transfer: \(error.message)")
        case .file:
            BridgeError(
                .failure,
                "the transfer stopped on a local file: \(error.fileError.map { "\($0)" } ?? error.message); "
                    + "the machine was told at once, and what was written up to the last checkpoint is kept")
        default:
            BridgeError(.failure, error.description)
        }
    }
}
