import BridgeTransfer
import BridgeWire
import Foundation
import Glibc
import Testing

@testable import BridgeLink

/// A side whose own file fails (a full disk, a pulled stick, an unreadable source) cancels the
/// stream: the other side stops at once with `.cancelled` instead of waiting out its stall timeout,
/// so the machine's reservation can be released right away.
@Suite("Stream cancel on a local failure")
struct TransferCancelTests {
    /// A part file that reports a full disk once `failAt` bytes were written.
    final class FullDiskSink: DurableSink {
        let part: PartFile
        let failAt: UInt64
        init(part: PartFile, failAt: UInt64) {
            self.part = part
            self.failAt = failAt
        }
        func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileSystemError) {
            guard offset + UInt64(bytes.count) < failAt else {
                throw FileSystemError(operation: "write", path: part.partPath, errno: ENOSPC)
            }
            try part.write(bytes, at: offset)
        }
        func read(at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] { try part.read(at: offset, count: count) }
        func size() throws(FileSystemError) -> UInt64 { try part.size() }
        func sync() throws(FileSystemError) { try part.sync() }
        func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError) { try part.appendCheckpoint(record) }
        func checkpoints() -> [TransferRecord] { part.checkpoints() }
    }

    /// Bytes that cannot be read past `failAt` (an unreadable sector, a pulled stick).
    struct FailingSource: StreamSource {
        let size: UInt64
        let failAt: UInt64
        var chainIndex: BlockChainIndex? { nil }
        func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
            guard offset + UInt64(buffer.count) < failAt else {
                throw StreamError(
                    code: .file, message: "test: read failed", fileError: FileSystemError(operation: "read", path: "source", errno: EIO))
            }
            for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: offset &+ UInt64(i)) }
        }
    }

    /// Sender and receiver on two threads; neither link end is closed by the test while they run.
    func run(source: any StreamSource, sink: any DurableSink) throws -> (sent: StreamError?, received: StreamError?) {
        let (a, b) = try SocketLink.pair()
        defer { a.close(); b.close() }
        var configuration = TransferLinkKind.socket.configuration
        configuration.stallTimeout = .seconds(20)
        let receiver = StreamReceiver(channel: FrameChannel(link: b), streamID: 3, sink: sink, transferID: 9, configuration: configuration)
        let receiving = Worker { () -> StreamError? in
            do throws(StreamError) {
                _ = try receiver.run()
                return nil
            } catch {
                return error
            }
        }
        let sender = StreamSender(
            channel: FrameChannel(link: a), streamID: 3, transferID: 9, source: source, journal: nil,
            configuration: configuration, recomputeFromSource: true)
        let sent: StreamError?
        do throws(StreamError) {
            _ = try sender.run()
            sent = nil
        } catch {
            sent = error
        }
        let received = receiving.join(timeout: .seconds(60)) ?? StreamError(code: .timeout, message: "test: receiver hung")
        return (sent, received)
    }

    @Test("A receiver whose disk fills up cancels: the sender stops with .cancelled, not a stall timeout")
    func receiverCancels() throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let sink = FullDiskSink(part: try PartFile.open(path: folder + "/p"), failAt: 1 << 20)
        let outcome = try run(source: BytesSource([UInt8](repeating: 5, count: 4 << 20)), sink: sink)
        #expect(outcome.received?.code == .file)
        #expect(outcome.sent?.code == .cancelled, "\(String(describing: outcome.sent))")
        #expect(
            outcome.sent?.message.contains("No space left") == true || outcome.sent?.message.contains("ENOSPC") == true
                || outcome.sent?.message.contains("full") == true, "\(String(describing: outcome.sent))")
    }

    @Test("A sender whose source fails cancels: the receiver stops with .cancelled and keeps what it made durable")
    func senderCancels() throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let part = try PartFile.open(path: folder + "/p")
        let outcome = try run(source: FailingSource(size: 4 << 20, failAt: 2 << 20), sink: part)
        #expect(outcome.sent?.code == .file)
        #expect(outcome.received?.code == .cancelled, "\(String(describing: outcome.received))")
    }
}
