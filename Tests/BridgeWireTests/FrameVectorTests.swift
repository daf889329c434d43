import BridgeWire
import Foundation
import Testing

/// The test vectors of docs/protocol.md ("Test vectors"): the same hex strings, byte for byte.
@Suite struct FrameVectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var frame: Frame
        var raw: String
        var cobs: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "request id 1 {\"op\":\"hello\"}",
            frame: Frame(type: .request, id: 1, payload: Array(#"{"op":"hello"}"#.utf8)),
            raw:
                "4D 42 01 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00 0E 00 00 00 8C 92 5A AA 7B 22 6F 70 22 3A 22 68 65 6C 6C 6F 22 7D AF 18 50 71",
            cobs:
                "00 05 4D 42 01 01 01 02 01 01 01 01 01 01 01 01 01 01 01 02 0E 01 01 17 8C 92 5A AA 7B 22 6F 70 22 3A 22 68 65 6C 6C 6F 22 7D AF 18 50 71 00"
        ),
        Vector(
            name: "empty credit",
            frame: Frame(type: .credit, id: 2, offset: 0x10_0000),
            raw: "4D 42 01 11 00 00 02 00 00 00 00 00 10 00 00 00 00 00 00 00 00 00 1C B7 F5 B4 1C B7 F5 B4",
            cobs: "00 05 4D 42 01 11 01 02 02 01 01 01 01 02 10 01 01 01 01 01 01 01 01 09 1C B7 F5 B4 1C B7 F5 B4 00"),
        Vector(
            name: "data at offset 0x0102030405060708",
            frame: Frame(type: .data, id: 2, offset: 0x0102_0304_0506_0708, flags: .last, payload: [0x00, 0x4D, 0x42, 0x00, 0xFF]),
            raw: "4D 42 01 10 01 00 02 00 00 00 08 07 06 05 04 03 02 01 05 00 00 00 BF E7 2F AD 00 4D 42 00 FF 3E EC 0B D2",
            cobs: "00 06 4D 42 01 10 01 02 02 01 01 0A 08 07 06 05 04 03 02 01 05 01 01 05 BF E7 2F AD 03 4D 42 06 FF 3E EC 0B D2 00"),
    ]

    @Test(arguments: vectors) func encoderProducesTheVector(_ vector: Vector) {
        #expect(hexString(FrameEncoder.encode(vector.frame, framing: .raw)) == vector.raw)
        #expect(hexString(FrameEncoder.encode(vector.frame, framing: .cobs)) == vector.cobs)
        #expect(hexString(vector.frame.encoded()) == vector.raw)
    }

    @Test(arguments: vectors) func decodersReadTheVector(_ vector: Vector) {
        #expect(decodeAll(bytes(hex: vector.raw), .raw).events == [.frame(vector.frame)])
        #expect(decodeAll(bytes(hex: vector.cobs), .cobs).events == [.frame(vector.frame)])
    }

    @Test(arguments: vectors) func layoutFieldByField(_ vector: Vector) {
        let raw = bytes(hex: vector.raw)
        let frame = vector.frame
        #expect(raw.count == Frame.headerSize + frame.payload.count + Frame.trailerSize)
        #expect(raw[0] == 0x4D && raw[1] == 0x42 && raw[2] == 1 && raw[3] == frame.type.rawValue)
        #expect(UInt16(raw[4]) | UInt16(raw[5]) << 8 == frame.flags.rawValue)
        #expect(raw[6..<10].reversed().reduce(0) { $0 << 8 | UInt32($1) } == frame.id)
        #expect(raw[10..<18].reversed().reduce(0) { $0 << 8 | UInt64($1) } == frame.offset)
        #expect(raw[18..<22].reversed().reduce(0) { $0 << 8 | Int($1) } == frame.payload.count)
        #expect(raw[22..<26].reversed().reduce(0) { $0 << 8 | UInt32($1) } == CRC32C.checksum(raw[0..<22]))
        #expect(Array(raw[26..<(26 + frame.payload.count)]) == frame.payload)
        // The payload CRC carries on from the header CRC: the CRC of header bytes 0-21, then the payload.
        #expect(raw.suffix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } == CRC32C.checksum(Array(raw[0..<22]) + frame.payload))
    }

    /// The document and this file must not drift apart.
    @Test func protocolDocumentHasTheSameVectors() throws {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/protocol.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for vector in Self.vectors {
            #expect(text.contains("\n\(vector.raw)\n"), "raw hex of \(vector.name) is not in docs/protocol.md")
            #expect(text.contains("\n\(vector.cobs)\n"), "COBS hex of \(vector.name) is not in docs/protocol.md")
        }
        for heading in ["## Frames", "## Serial framing (COBS)", "## Stream framing", "## Test vectors", "## Control messages"] {
            #expect(text.contains("\n\(heading)\n"), "missing section \(heading)")
        }
    }

    @Test func roundTripsEveryTypeAndFieldExtreme() {
        for type in FrameType.allCases {
            for (id, offset, flags) in [
                (UInt32(0), UInt64(0), FrameFlags()), (.max, .max, FrameFlags(rawValue: .max)), (7, 1 << 40, [.last, .error]),
            ] {
                for payload in [[], [0], Array(repeating: 0, count: 600), (0..<1000).map { UInt8(truncatingIfNeeded: $0) }] as [[UInt8]] {
                    let frame = Frame(type: type, id: id, offset: offset, flags: flags, payload: payload)
                    for framing in [Framing.raw, .cobs] {
                        #expect(decodeAll(FrameEncoder.encode(frame, framing: framing), framing).events == [.frame(frame)])
                    }
                }
            }
        }
    }

    @Test func largestPayloadRoundTrips() {
        var rng = TestRandom(seed: 3)
        let frame = Frame(type: .data, id: 9, offset: 5, payload: randomBytes(Frame.maxPayload, &rng))
        for framing in [Framing.raw, .cobs] {
            let encoded = FrameEncoder.encode(frame, framing: framing)
            if framing == .cobs { #expect(encoded.count - 1 <= COBSFrameDecoder.maxSegmentSize) }
            #expect(decodeAll(encoded, framing).events == [.frame(frame)])
            #expect(decodeInPieces(encoded, framing, sizes: [65_537, 3, 4096]).events == [.frame(frame)])
        }
        #expect(Frame.maxFrameSize == 1_048_606)
        #expect(COBSFrameDecoder.maxSegmentSize == 1_052_735)
    }
}
