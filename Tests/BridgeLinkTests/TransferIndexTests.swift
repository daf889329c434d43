import BridgeTransfer
import BridgeWire
import Foundation
import Testing

@testable import BridgeLink

/// A sender whose source brings its block index hashes nothing while it sends; the receiver still
/// hashes every byte, so a wrong index can never pass.
@Suite struct TransferIndexTests {
    /// The index gives the stream chain at any offset, block boundaries and the end included.
    @Test func indexGivesTheChainAtEveryOffset() throws {
        let size: UInt64 = (3 << 20) + 777
        let source = GeneratedSource(size: size, seed: 21)
        let bytes = source.bytes()
        let (index, chain) = try BlockChainIndex.of(source)
        #expect(chain == StreamChain.hash(of: bytes))
        #expect(index.count == 4) // blocks 0...3 start within the stream
        for offset: UInt64 in [0, 1, 4095, 1 << 20, (1 << 20) + 1, (2 << 20) - 1, 3 << 20, size] {
            let point = try #require(try index.point(at: offset, of: source))
            #expect(point.hash == StreamChain.hash(of: Array(bytes[0..<Int(offset)])), "offset \(offset)")
        }
        #expect(try index.point(at: size + 1, of: source) == nil)
    }

    @Test(arguments: TransferLinkKind.allCases)
    func anIndexedSourceStreamsTheSameChain(kind: TransferLinkKind) throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let size: UInt64 = kind == .socket ? (5 << 20) + 99 : (1 << 20) + 99
        let source = GeneratedSource(size: size, seed: 3)
        let indexed = IndexedSource(source, index: try BlockChainIndex.of(source).index)
        let part = try PartFile.open(path: folder + "/payload")
        let journal = try TransferJournal.open(path: folder + "/journal")
        let (sent, received) = try transfer(source: indexed, sink: part, journal: journal, kind: kind)
        let sender = try sent.get()
        let receiver = try received.get()
        #expect(sender.chain == receiver.chain && sender.chain == StreamChain.hash(of: source.bytes()))
        #expect(sender.checkpoints >= 2, "the sender checked the receiver's checkpoints against its index")
        // The journal holds points taken from the index, usable for a resume.
        #expect(journal.records(for: 7).last?.point.offset == size)
        try part.publish()
        #expect(fileBytes(folder + "/payload") == source.bytes())
    }

    /// An index that belongs to other bytes: the receiver's first checkpoint disagrees and the
    /// sender stops with a chain mismatch; nothing is taken as complete.
    @Test func aWrongIndexIsCaughtByTheReceiversChain() throws {
        let folder = transferFolder()
        defer { removeFolder(folder) }
        let source = GeneratedSource(size: 3 << 20, seed: 4)
        let other = GeneratedSource(size: 3 << 20, seed: 5)
        let lying = IndexedSource(source, index: try BlockChainIndex.of(other).index)
        let part = try PartFile.open(path: folder + "/payload")
        let (sent, _) = try transfer(source: lying, sink: part, journal: nil, kind: .socket)
        guard case .failure(let error) = sent else {
            Issue.record("a sender with a wrong index finished")
            return
        }
        #expect(error.code == .chainMismatch)
    }
}
