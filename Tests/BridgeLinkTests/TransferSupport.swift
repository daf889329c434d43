import BridgeTransfer
import BridgeWire
import Foundation
import Glibc
import Synchronization
import Testing

@testable import BridgeLink

/// The two kinds of link the transfer tests run on.
enum TransferLinkKind: String, CaseIterable, Sendable {
    case socket, pty

    /// Host (sender) and device (receiver) channels, and a closer for both ends.
    func open() throws -> (sender: FrameChannel, receiver: FrameChannel, close: @Sendable () -> Void) {
        switch self {
        case .socket:
            let (a, b) = try SocketLink.pair()
            return (
                FrameChannel(link: a), FrameChannel(link: b),
                {
                    a.close(); b.close()
                }
            )
        case .pty:
            let device = try PseudoTerminal.open()
            let host = try SerialLink.open(path: device.slavePath)
            return (
                FrameChannel(link: host), FrameChannel(link: device),
                {
                    host.close(); device.close()
                }
            )
        }
    }

    /// Small enough for a debug build, with several chunks per window and checkpoint.
    var configuration: StreamConfiguration {
        switch self {
        case .socket:
            StreamConfiguration(
                chunkSize: 64 << 10, window: 512 << 10, checkpointBytes: 192 << 10,
                checkpointInterval: nil, retransmitAfter: .milliseconds(500), stallTimeout: .seconds(10))
        case .pty:
            StreamConfiguration(
                chunkSize: 4 << 10, window: 64 << 10, checkpointBytes: 16 << 10,
                checkpointInterval: nil, retransmitAfter: .milliseconds(500), stallTimeout: .seconds(10))
        }
    }
}

/// A private folder for part files and journals, on the real file system (fsync does work).
func transferFolder() -> String {
    let path = NSTemporaryDirectory() + "mfpb-xfer-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func fileBytes(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map(Array.init)
}

/// Runs a receiver on its own thread and the sender on this one. Returns both outcomes.
func transfer(
    source: any StreamSource, sink: any DurableSink, journal: TransferJournal?, kind: TransferLinkKind,
    configuration: StreamConfiguration? = nil, transferID: UInt64 = 7,
    whileRunning: (@Sendable (_ close: @escaping @Sendable () -> Void) -> Void)? = nil
) throws -> (sent: Result<StreamResult, StreamError>, received: Result<StreamResult, StreamError>) {
    let (senderChannel, receiverChannel, close) = try kind.open()
    defer { close() }
    let configuration = configuration ?? kind.configuration
    whileRunning?(close)
    let receiver = StreamReceiver(channel: receiverChannel, streamID: 3, sink: sink, transferID: transferID, configuration: configuration)
    let receiving = Worker { Result { () throws(StreamError) in try receiver.run() } }
    let sender = StreamSender(
        channel: senderChannel, streamID: 3, transferID: transferID, source: source,
        journal: journal, configuration: configuration)
    let sent = Result { () throws(StreamError) in try sender.run() }
    if case .failure = sent { close() } // unblock the receiver at once
    guard let received = receiving.join(timeout: .seconds(30)) else {
        Issue.record("the receiver did not finish")
        close()
        return (sent, .failure(StreamError(code: .timeout, message: "test: receiver hung")))
    }
    return (sent, received)
}

/// Forwards to a part file, and can close the link (from another thread) once `cutAt` bytes
/// were written, and record the order of sink calls.
final class InstrumentedSink: DurableSink {
    enum Event: Equatable, Sendable {
        case write(end: UInt64)
        case sync(durableUpTo: UInt64)
        case checkpoint(UInt64)
    }

    let part: PartFile
    private let cutAt: UInt64?
    private let cutSignal = DispatchSemaphore(value: 0)
    private let state = Mutex<(written: UInt64, durable: UInt64, events: [Event], signalled: Bool)>((0, 0, [], false))
    /// Extra time in each fsync, to widen any window for acknowledging too early.
    private let slowSync: Duration
    /// Pause after each write, to stretch a transfer over time.
    private let slowWrite: Duration

    init(part: PartFile, cutAt: UInt64? = nil, slowSync: Duration = .zero, slowWrite: Duration = .zero) {
        self.part = part
        self.cutAt = cutAt
        self.slowSync = slowSync
        self.slowWrite = slowWrite
    }

    /// Closes the link (with `close`) on a thread of its own once the cut point is written.
    func arm(_ close: @escaping @Sendable () -> Void) {
        guard cutAt != nil else { return }
        let signal = cutSignal
        Thread {
            if signal.wait(timeout: .now() + 30) == .success { close() }
        }.start()
    }

    var events: [Event] { state.withLock { $0.events } }
    var durable: UInt64 { state.withLock { $0.durable } }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileSystemError) {
        try part.write(bytes, at: offset)
        if slowWrite > .zero { sleep(slowWrite) }
        let signal = state.withLock { s -> Bool in
            s.written = max(s.written, offset + UInt64(bytes.count))
            s.events.append(.write(end: offset + UInt64(bytes.count)))
            if let cutAt, s.written >= cutAt, !s.signalled {
                s.signalled = true
                return true
            }
            return false
        }
        if signal { cutSignal.signal() }
    }

    func read(at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] { try part.read(at: offset, count: count) }
    func size() throws(FileSystemError) -> UInt64 { try part.size() }

    func sync() throws(FileSystemError) {
        let covered = state.withLock { $0.written }
        try part.sync()
        if slowSync > .zero { sleep(slowSync) }
        state.withLock { s in
            s.durable = max(s.durable, covered)
            s.events.append(.sync(durableUpTo: covered))
        }
    }

    func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError) {
        try part.appendCheckpoint(record)
        state.withLock { $0.events.append(.checkpoint(record.point.offset)) }
    }

    func checkpoints() -> [TransferRecord] { part.checkpoints() }

    private func sleep(_ duration: Duration) {
        Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
    }
}
