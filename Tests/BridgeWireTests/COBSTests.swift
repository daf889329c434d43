import BridgeWire
import Testing

@Suite struct COBSTests {
    /// The examples of the COBS paper and the usual ones (docs/protocol.md, "Test vectors").
    static let vectors: [(data: [UInt8], encoded: [UInt8])] = [
        ([0x00], [0x01, 0x01]),
        ([0x00, 0x00], [0x01, 0x01, 0x01]),
        ([0x11, 0x22, 0x00, 0x33], [0x03, 0x11, 0x22, 0x02, 0x33]),
        ([0x11, 0x22, 0x33, 0x44], [0x05, 0x11, 0x22, 0x33, 0x44]),
        ([0x11, 0x00, 0x00, 0x00], [0x02, 0x11, 0x01, 0x01, 0x01]),
        ([], [0x01]),
        (Array(1...254), [0xFF] + Array(1...254)),
        (Array(1...255), [0xFF] + Array(1...254) + [0x02, 0xFF]),
        ([0x00] + Array(1...254), [0x01, 0xFF] + Array(1...254)),
        (Array(2...255) + [0x00], [0xFF] + Array(2...255) + [0x01, 0x01]),
        (Array(3...255) + [0x00, 0x01], [0xFE] + Array(3...255) + [0x02, 0x01]),
    ]

    @Test(arguments: 0..<vectors.count) func vector(_ index: Int) {
        let (data, encoded) = Self.vectors[index]
        #expect(COBS.encode(data) == encoded)
        #expect(COBS.decode(encoded) == data)
    }

    @Test func acceptsAnEmptyBlockAfterAFullOne() {
        #expect(COBS.decode([0xFF] + Array(1...254) + [0x01]) == Array(1...254))
    }

    @Test func rejectsInvalidInput() {
        #expect(COBS.decode([UInt8]()) == nil)
        #expect(COBS.decode([0x00]) == nil)
        #expect(COBS.decode([0x03, 0x11]) == nil) // code points past the end
        #expect(COBS.decode([0x03, 0x11, 0x00]) == nil) // zero inside a block
        #expect(COBS.decode([0x02, 0x11, 0x00, 0x01]) == nil)
    }

    @Test func roundTripsRandomData() {
        var rng = TestRandom(seed: 7)
        for round in 0..<2000 {
            let count = round < 600 ? round : rng.below(3000)
            let zeroShare = rng.below(4) // 0: no zeros at all
            let data: [UInt8] = (0..<count).map { _ in
                zeroShare > 0 && rng.below(8 * zeroShare) == 0 ? 0 : UInt8(1 + rng.below(255))
            }
            let encoded = COBS.encode(data)
            #expect(!encoded.contains(0))
            #expect(encoded.count <= COBS.maxEncodedCount(data.count))
            #expect(COBS.decode(encoded) == data)
            #expect(COBS.decode(encoded[...]) == data) // through a slice
        }
    }
}
