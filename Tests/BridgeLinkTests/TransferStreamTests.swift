import BridgeTransfer
import BridgeWire
import Foundation
import Testing

@testable import BridgeLink

/// The streaming engine end to end over socket pairs and real ptys.
@Suite struct TransferStreamTests {
    static let socketSizes = [0, 1, (64 << 10) - 1, (64 << 10) + 1, 3 << 20, (5 << 20) + 12345]
    static let ptySizes = [0, 1, (4 << 10) - 1, (4 << 10) + 1, 300 << 10]

    @Test(arguments: socketSizes.map { (TransferLinkKind.socket, $0) } + ptySizes.map { (TransferLinkKind.pty, $0) })
    func roundTripIsByteIdentical(kind: TransferLinkKind, size: Int) throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let source = GeneratedSource(size: UInt64(size), seed: UInt64(size) &+ 11)
        let expected = source.bytes()
        let part = try PartFile.open(path: folder + "/payload")
        let journal = try TransferJournal.open(path: folder + "/journal")
        let (sent, received) = try transfer(source: source, sink: part, journal: journal, kind: kind)
        let sender = try sent.get()
        let receiver = try received.get()
        #expect(sender.size == UInt64(size) && receiver.size == UInt64(size))
        #expect(sender.chain == receiver.chain)
        #expect(receiver.chain == StreamChain.hash(of: expected))
        try part.publish()
        #expect(fileBytes(folder + "/payload") == expected)
        #expect(access(folder + "/payload.part", F_OK) != 0 && access(folder + "/payload.part.ckpt", F_OK) != 0)
        // The journal holds the final checkpoint.
        #expect(journal.records(for: 7).last?.point.offset == UInt64(size))
    }

    /// A hand-written receiver that grants credit in small steps checks every data frame against it.
    @Test(arguments: TransferLinkKind.allCases)
    func senderNeverExceedsCredit(kind: TransferLinkKind) throws {
        let (senderChannel, spy, close) = try kind.open()
        defer { close() }
        let chunk = kind == .socket ? 16 << 10 : 1 << 10
        let size = kind == .socket ? 1 << 20 : 96 << 10
        let window = UInt64(chunk * 3 + 100) // not a multiple of the chunk: partial chunks at the limit
        let source = GeneratedSource(size: UInt64(size), seed: 5)
        let configuration = StreamConfiguration(chunkSize: chunk, window: window, stallTimeout: .seconds(10))
        let sender = StreamSender(
            channel: senderChannel, streamID: 9, transferID: 1, source: source, journal: nil, configuration: configuration)
        let sending = Worker { Result { () throws(StreamError) in try sender.run() } }

        try spy.send(StreamWire.frame(.offer(window: window, candidates: [.init(offset: 0, hash: .zero)]), stream: 9))
        var granted = window
        var received: [UInt8] = []
        var chain = StreamChain()
        var maxAhead: UInt64 = 0
        while received.count < size {
            guard let frame = try spy.receive(timeout: .seconds(10)), case let .data(offset, payload, _)? = StreamWire.message(frame) else {
                Issue.record("no data frame")
                return
            }
            #expect(offset == UInt64(received.count))
            #expect(offset + UInt64(payload.count) <= granted, "data up to \(offset + UInt64(payload.count)) beyond credit \(granted)")
            maxAhead = max(maxAhead, offset + UInt64(payload.count) - UInt64(received.count))
            received += payload
            chain.absorb(payload)
            // Grant a little at a time, and only sometimes.
            if received.count % (chunk * 2) < chunk {
                granted = UInt64(received.count) + window
                try spy.send(StreamWire.frame(.credit(limit: granted), stream: 9))
            }
        }
        try spy.send(StreamWire.frame(.checkpoint(offset: UInt64(size), hash: chain.digest), stream: 9))
        let result = try #require(sending.join()).get()
        #expect(result.chain == chain.digest)
        #expect(received == source.bytes())
    }

    /// A hand-written sender checks, when each checkpoint arrives, that the sink's fsync already
    /// covered it; the sink's own log shows sync before the sidecar record for every checkpoint.
    @Test(arguments: TransferLinkKind.allCases)
    func checkpointIsSentOnlyAfterFsync(kind: TransferLinkKind) throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let (spy, receiverChannel, close) = try kind.open()
        defer { close() }
        let chunk = kind == .socket ? 32 << 10 : 2 << 10
        let size = kind == .socket ? 2 << 20 : 128 << 10
        let sink = InstrumentedSink(part: try PartFile.open(path: folder + "/p"), slowSync: .milliseconds(5))
        let configuration = StreamConfiguration(
            chunkSize: chunk, window: UInt64(size), checkpointBytes: UInt64(chunk * 4),
            checkpointInterval: nil, stallTimeout: .seconds(10))
        let receiver = StreamReceiver(channel: receiverChannel, streamID: 4, sink: sink, configuration: configuration)
        let receiving = Worker { Result { () throws(StreamError) in try receiver.run() } }

        guard let offer = try spy.receive(timeout: .seconds(5)), case .offer? = StreamWire.message(offer) else {
            Issue.record("no offer")
            return
        }
        let bytes = GeneratedSource(size: UInt64(size), seed: 8).bytes()
        var acknowledged: [UInt64] = []
        func collect(wait: Duration) throws {
            while let frame = try spy.receive(timeout: wait) {
                if case let .checkpoint(offset, _)? = StreamWire.message(frame) {
                    #expect(sink.durable >= offset, "checkpoint \(offset) acknowledged before fsync (durable \(sink.durable))")
                    acknowledged.append(offset)
                    if offset == UInt64(size) { return }
                }
            }
        }
        for start in stride(from: 0, to: size, by: chunk) {
            let end = min(start + chunk, size)
            try spy.send(StreamWire.frame(.data(offset: UInt64(start), payload: Array(bytes[start..<end]), last: end == size), stream: 4))
            try collect(wait: .zero)
        }
        try collect(wait: .seconds(10))
        let result = try #require(receiving.join()).get()
        #expect(result.size == UInt64(size))
        #expect(acknowledged.count >= 2 && acknowledged.last == UInt64(size))
        // In the sink's log every checkpoint record follows a sync that covered it.
        var durable: UInt64 = 0
        for event in sink.events {
            switch event {
            case .sync(let upTo): durable = max(durable, upTo)
            case .checkpoint(let offset): #expect(offset <= durable, "record \(offset) before its fsync")
            case .write: break
            }
        }
        #expect(sink.part.checkpoints().map(\.point.offset).last == UInt64(size))
    }

    @Test func checkpointsFollowTheTimeIntervalToo() throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let source = GeneratedSource(size: 256 << 10, seed: 3)
        // 64 writes of 4 KiB, 2 ms each: well over 100 ms.
        let part = InstrumentedSink(part: try PartFile.open(path: folder + "/t"), slowWrite: .milliseconds(2))
        var configuration = TransferLinkKind.pty.configuration
        configuration.checkpointBytes = .max
        configuration.checkpointInterval = .milliseconds(20)
        let (_, received) = try transfer(source: source, sink: part, journal: nil, kind: .pty, configuration: configuration)
        let result = try received.get()
        // By bytes alone there would be only the final one.
        #expect(result.checkpoints >= 3, "\(result.checkpoints) checkpoints")
    }
}
