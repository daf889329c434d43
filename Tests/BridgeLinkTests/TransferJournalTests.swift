import BridgeTransfer
import BridgeWire
import Foundation
import Glibc
import MFPTestTools
import Testing

/// The hash chain, the journal's records and replay, and the resume rule: no link involved.
@Suite struct TransferJournalTests {
    static let pattern: [UInt8] = (0..<((1 << 20) + 100)).map { UInt8($0 % 251) }

    /// Values computed independently (Python hashlib) from the definition in docs/protocol.md.
    @Test func chainMatchesTheDocumentedVectors() {
        #expect(StreamChain.hash(of: []).description == String(repeating: "0", count: 64))
        #expect(StreamChain.hash(of: Array("abc".utf8)).description == "92ed8ecd8472e2078a3f1e49acd8335f3cc8f168de992ed9abfea46b04f47c73")
        #expect(
            StreamChain.hash(of: Array(Self.pattern[..<(1 << 20)])).description
                == "a24dda8fb433d67c817474d9623570574216bd622668da451b1e3c72a2921631")
        #expect(StreamChain.hash(of: Self.pattern).description == "72aea58a190c14eecc1b495fa80cd427dc7eb7f1ff3eaffea556c1916eb8b3ad")
    }

    @Test func chainDoesNotDependOnHowTheStreamIsCut() {
        let bytes = GeneratedSource(size: 3 << 20 + 777, seed: 4).bytes()
        let whole = StreamChain.hash(of: bytes)
        var rng = SplitMix64(seed: 9)
        for _ in 0..<5 {
            var chain = StreamChain()
            var at = 0
            while at < bytes.count {
                let take = min(bytes.count - at, 1 + rng.below(600_000))
                chain.absorb(Array(bytes[at..<(at + take)]))
                at += take
            }
            #expect(chain.digest == whole)
        }
    }

    @Test func chainResumesFromAPointWithOnlyItsBlockPrefix() throws {
        let bytes = GeneratedSource(size: 3 << 20, seed: 5).bytes()
        for offset in [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (2 << 20) + 4096] {
            var chain = StreamChain()
            chain.absorb(Array(bytes[..<offset]))
            let point = chain.point
            #expect(point.blockStart == UInt64(offset - offset % (1 << 20)))
            var resumed = try #require(StreamChain(resumingAt: point, blockPrefix: Array(bytes[Int(point.blockStart)..<offset])))
            resumed.absorb(Array(bytes[offset...]))
            #expect(resumed.digest == StreamChain.hash(of: bytes))
            if UInt64(offset) > point.blockStart {
                var wrong = Array(bytes[Int(point.blockStart)..<offset])
                wrong[wrong.count - 1] ^= 1
                #expect(StreamChain(resumingAt: point, blockPrefix: wrong) == nil)
            }
        }
    }

    @Test func recordLayoutIsFixed() throws {
        let hash = try #require(ChainHash([UInt8](repeating: 0xAB, count: 32)))
        let base = try #require(ChainHash([UInt8](repeating: 0xCD, count: 32)))
        let record = TransferRecord(
            transferID: 0x1122_3344_5566_7788, point: ChainPoint(offset: 0x0102_0304, hash: hash, base: base),
            totalSize: nil, time: 1_700_000_000_000_000_000)
        let bytes = record.encoded()
        #expect(bytes.count == 128)
        #expect(Array(bytes[0..<8]) == [0x4D, 0x42, 0x43, 0x4B, 0x01, 0x00, 0x00, 0x00])
        #expect(Array(bytes[8..<16]) == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        #expect(Array(bytes[16..<24]) == [0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0])
        #expect(Array(bytes[24..<32]) == [UInt8](repeating: 0xFF, count: 8))
        #expect(Array(bytes[40..<72]) == hash.bytes && Array(bytes[72..<104]) == base.bytes)
        #expect(Array(bytes[104..<124]) == [UInt8](repeating: 0, count: 20))
        let crc = UInt32(bytes[124]) | UInt32(bytes[125]) << 8 | UInt32(bytes[126]) << 16 | UInt32(bytes[127]) << 24
        #expect(crc == CRC32C.checksum(Array(bytes[0..<124])))
        #expect(TransferRecord(decoding: bytes) == record)
        for index in [0, 9, 50, 110, 127] {
            var damaged = bytes
            damaged[index] ^= 0x10
            #expect(TransferRecord(decoding: damaged) == nil, "byte \(index)")
        }
    }

    static func records(_ count: Int, transfer: UInt64 = 1) -> [TransferRecord] {
        var chain = StreamChain()
        return (0..<count).map { i in
            chain.absorb([UInt8](repeating: UInt8(i), count: 1000))
            return TransferRecord(transferID: transfer, point: chain.point, totalSize: 10_000, time: Int64(i))
        }
    }

    @Test func journalReplaysWhatWasAppended() throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let journal = try TransferJournal.open(path: folder + "/j")
        let written = Self.records(5) + Self.records(2, transfer: 2)
        for record in written { try journal.append(record) }
        journal.close()
        let replayed = try TransferJournal.open(path: folder + "/j")
        #expect(replayed.records == written)
        #expect(replayed.records(for: 2) == Array(written[5...]))
        #expect(replayed.discardedBytes == 0)
    }

    @Test(arguments: [1, 60, 127])
    func replayStopsAtATornRecordAndNewRecordsFollowTheGoodOnes(keep: Int) throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let path = folder + "/j"
        let written = Self.records(5)
        let journal = try TransferJournal.open(path: path)
        for record in written { try journal.append(record) }
        journal.close()
        // Power cut in the middle of writing the fifth record.
        #expect(truncate(path, off_t(4 * 128 + keep)) == 0)
        let replayed = try TransferJournal.open(path: path)
        #expect(replayed.records == Array(written[..<4]))
        #expect(replayed.discardedBytes == keep)
        let next = Self.records(6)[5]
        try replayed.append(next)
        replayed.close()
        #expect(try TransferJournal.open(path: path).records == Array(written[..<4]) + [next])
    }

    @Test(arguments: [0, 3, 16, 40, 100, 124, 127])
    func replayStopsAtTheFirstCorruptedRecord(byte: Int) throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let path = folder + "/j"
        let written = Self.records(5)
        let journal = try TransferJournal.open(path: path)
        for record in written { try journal.append(record) }
        journal.close()
        // Flip one bit of the third record: the fourth and fifth, intact, are not trusted either.
        let fd = open(path, O_RDWR)
        var value: UInt8 = 0
        _ = pread(fd, &value, 1, off_t(2 * 128 + byte))
        value ^= 0x08
        _ = pwrite(fd, &value, 1, off_t(2 * 128 + byte))
        close(fd)
        let replayed = try TransferJournal.open(path: path)
        #expect(replayed.records == Array(written[..<2]))
        #expect(replayed.discardedBytes == 3 * 128)
    }

    // MARK: the resume rule

    static func point(_ offset: UInt64, _ tag: UInt8) -> ChainPoint {
        ChainPoint(offset: offset, hash: ChainHash([UInt8](repeating: tag, count: 32))!, base: .zero)
    }

    @Test func resumeRule() {
        let journal = [Self.point(100, 1), Self.point(200, 2), Self.point(300, 3)]
        func decide(_ offer: [ChainPoint], size: UInt64 = 1000) -> ResumePlanner.Decision {
            ResumePlanner.decide(offer: offer.map { ($0.offset, $0.hash) } + [(0, .zero)], journal: journal, sourceSize: size)
        }
        // The newest matches: continue there.
        #expect(decide([Self.point(300, 3), Self.point(200, 2)]).kind == .continueLatest)
        #expect(decide([Self.point(300, 3)]).point == Self.point(300, 3))
        // The sender never journaled the newest (cut before the record): an earlier one both hold.
        let missing = decide([Self.point(400, 4), Self.point(200, 2)])
        #expect(missing.kind == .fallBack && missing.point.offset == 200)
        #expect(missing.refused == [.init(offset: 400, reason: .unknown)])
        // Same offset, another hash: never continue there.
        let mismatch = decide([Self.point(300, 9), Self.point(100, 1)])
        #expect(mismatch.kind == .fallBack && mismatch.point.offset == 100)
        #expect(mismatch.refused == [.init(offset: 300, reason: .hashMismatch)])
        // Nothing in common, or a source shorter than the offer: restart.
        #expect(decide([Self.point(300, 8), Self.point(200, 7)]).kind == .restart)
        #expect(decide([Self.point(300, 3)], size: 250).refused == [.init(offset: 300, reason: .pastEnd)])
        #expect(decide([]).point == .start)
        // Recomputing from the source stands in for a missing record, and can refuse too.
        let recomputed = ResumePlanner.decide(
            offer: [(400, Self.point(400, 4).hash)], journal: journal, sourceSize: 1000,
            recompute: { Self.point($0, 4) })
        #expect(recomputed.kind == .continueLatest && recomputed.point.offset == 400)
        let refused = ResumePlanner.decide(
            offer: [(400, Self.point(400, 4).hash)], journal: journal, sourceSize: 1000,
            recompute: { Self.point($0, 5) })
        #expect(refused.kind == .restart && refused.refused == [.init(offset: 400, reason: .hashMismatch)])
    }

    @Test func wireMessagesRoundTrip() throws {
        let hash = try #require(ChainHash([UInt8](repeating: 7, count: 32)))
        let messages: [StreamWire.Message] = [
            .data(offset: 5, payload: [1, 2, 3], last: true),
            .credit(limit: 1 << 40),
            .rewind(from: 10, limit: 99),
            .checkpoint(offset: 12, hash: hash),
            .offer(window: 256 << 10, candidates: [.init(offset: 12, hash: hash), .init(offset: 0, hash: .zero)]),
        ]
        for message in messages {
            let frame = StreamWire.frame(message, stream: 77)
            var decoder = RawFrameDecoder()
            decoder.feed(frame.encoded())
            guard case let .frame(decoded)? = decoder.next() else {
                Issue.record("did not decode")
                continue
            }
            #expect(decoded.id == 77)
            #expect(StreamWire.message(decoded) == message)
        }
        #expect(StreamWire.frame(.credit(limit: 3), stream: 1).payload.isEmpty)
        #expect(StreamWire.frame(.checkpoint(offset: 3, hash: hash), stream: 1).type == .checkpoint)
    }
}
