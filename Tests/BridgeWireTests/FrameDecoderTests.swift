import BridgeWire
import Testing

/// A header with a correct CRC whatever it announces, and the payload CRC after `payload`.
private func handMadeFrame(version: UInt8 = 1, type: UInt8 = 0x01, id: UInt32 = 5, length: UInt32? = nil, payload: [UInt8] = []) -> [UInt8]
{
    var header: [UInt8] = [0x4D, 0x42, version, type, 0, 0]
    withUnsafeBytes(of: id.littleEndian) { header += $0 }
    header += [UInt8](repeating: 0, count: 8)
    withUnsafeBytes(of: (length ?? UInt32(payload.count)).littleEndian) { header += $0 }
    withUnsafeBytes(of: CRC32C.checksum(header).littleEndian) { header += $0 }
    var out = header + payload
    withUnsafeBytes(of: CRC32C.checksum(payload).littleEndian) { out += $0 }
    return out
}

private let frameA = Frame(type: .request, id: 1, payload: Array(#"{"op":"hello"}"#.utf8))
private let frameB = Frame(type: .data, id: 2, offset: 4096, flags: .last, payload: [0x00, 0x4D, 0x42, 0x00, 0x4D, 0x42, 0x01])
private let frameC = Frame(type: .credit, id: 2, offset: 1 << 20)

@Suite struct RawFrameDecoderTests {
    @Test func framesBackToBack() {
        let input = [frameA, frameB, frameC].flatMap { $0.encoded(.raw) }
        let (events, discarded) = decodeAll(input, .raw)
        #expect(events == [.frame(frameA), .frame(frameB), .frame(frameC)])
        #expect(discarded == 0)
    }

    @Test func garbageBeforeBetweenAndAfter() {
        let before: [UInt8] = [0x00, 0x01, 0x4D, 0x00, 0x42]
        let between: [UInt8] = [0x4D, 0x42, 0x4D] + [0x4D, 0x42, 0x01, 0x01] + [UInt8](repeating: 0, count: 30)
        let after: [UInt8] = [0xFF, 0x00, 0x4D, 0x42, 0x01, 0x4D]
        let input = before + frameA.encoded() + between + frameB.encoded() + frameC.encoded() + after
        let (events, discarded) = decodeAll(input, .raw)
        #expect(
            events == [
                .damaged(.badHeaderChecksum), .frame(frameA),
                .damaged(.badHeaderChecksum), .frame(frameB), .frame(frameC),
                .damaged(.badHeaderChecksum),
            ])
        // The final `4D 42 01 4D` may be the start of a header: it is kept until 26 bytes are there;
        // everything else that is not a frame is dropped.
        #expect(discarded == before.count + between.count + after.count - 4)
    }

    @Test func noiseIsReportedOncePerResynchronization() {
        var rng = TestRandom(seed: 11)
        var noise = randomBytes(20_000, &rng)
        for i in stride(from: 0, to: noise.count - 2, by: 97) { noise[i] = 0x4D; noise[i + 1] = 0x42 } // many false magics
        let (events, _) = decodeAll(noise + frameA.encoded() + noise + frameB.encoded(), .raw)
        #expect(events == [.damaged(.badHeaderChecksum), .frame(frameA), .damaged(.badHeaderChecksum), .frame(frameB)])
    }

    @Test func badPayloadDropsTheWholeFrame() {
        var damaged = frameB.encoded()
        damaged[Frame.headerSize + 2] ^= 0x10
        let input = frameA.encoded() + damaged + frameC.encoded()
        let (events, discarded) = decodeAll(input, .raw)
        #expect(events == [.frame(frameA), .damaged(.badPayloadChecksum(id: 2)), .frame(frameC)])
        #expect(discarded == damaged.count)
    }

    @Test func badHeaderResynchronizesOnTheNextFrame() {
        var damaged = frameB.encoded()
        damaged[8] ^= 0x01 // inside the id: header CRC fails
        let (events, _) = decodeAll(frameA.encoded() + damaged + frameC.encoded(), .raw)
        #expect(events == [.frame(frameA), .damaged(.badHeaderChecksum), .frame(frameC)])
    }

    @Test func validHeadersThisVersionCannotTakeAreAlwaysReported() {
        let v2 = handMadeFrame(version: 2, payload: [1, 2, 3])
        let unknown = handMadeFrame(type: 0x7F)
        let huge = handMadeFrame(type: 0x10, length: UInt32(Frame.maxPayload) + 1)
        let garbage: [UInt8] = [9, 9, 9]
        let input = garbage + v2 + unknown + huge + frameA.encoded()
        let (events, _) = decodeAll(input, .raw)
        #expect(
            events == [
                .damaged(.badHeaderChecksum), .damaged(.unsupportedVersion(2)), .damaged(.unknownType(0x7F)),
                .damaged(.tooLong), .frame(frameA),
            ])
    }

    @Test func theLargestLengthIsAccepted() {
        let header = Array(handMadeFrame(type: 0x10, length: UInt32(Frame.maxPayload)).prefix(Frame.headerSize))
        var decoder = RawFrameDecoder()
        decoder.feed(header + [UInt8](repeating: 1, count: 1000))
        #expect(decoder.next() == nil) // waiting for the rest of the 1 MiB payload, no damage yet
    }

    @Test func garbageWithoutMagicIsDroppedAsItArrives() {
        var decoder = RawFrameDecoder()
        let chunk = [UInt8](repeating: 0x55, count: 1 << 16)
        for round in 1...160 { // 10 MiB
            decoder.feed(chunk)
            _ = decoder.drain()
            #expect(decoder.discardedBytes == round * chunk.count)
        }
        decoder.feed(frameA.encoded())
        #expect(decoder.drain() == [.frame(frameA)])
    }
}

@Suite struct COBSFrameDecoderTests {
    private func segment(_ raw: [UInt8]) -> [UInt8] { COBS.encode(raw) + [0] }

    @Test func framesWithDelimiters() {
        let frames: [UInt8] = [frameA, frameB, frameC].flatMap { $0.encoded(.cobs) }
        let input: [UInt8] = [0, 0] + frames + [0, 0, 0]
        #expect(decodeAll(input, .cobs).events == [.frame(frameA), .frame(frameB), .frame(frameC)])
    }

    @Test func everyKindOfDamageCostsOneSegment() {
        var flippedPayload = frameB.encoded()
        flippedPayload[Frame.headerSize] ^= 0x80
        var flippedHeader = frameB.encoded()
        flippedHeader[3] ^= 0x01
        let cases: [([UInt8], FrameDamage)] = [
            ([0x05, 0x11, 0x22, 0], .badCOBS), // code points past the delimiter
            (segment([1, 2, 3]), .truncated), // shorter than any frame
            (segment(Array(frameA.encoded().dropLast())), .truncated), // shorter than announced
            (segment(frameA.encoded() + [7]), .badCOBS), // bytes after the frame
            (segment(flippedHeader), .badHeaderChecksum),
            (segment(flippedPayload), .badPayloadChecksum(id: 2)),
            (segment(handMadeFrame(version: 3)), .unsupportedVersion(3)),
            (segment(handMadeFrame(type: 0x04)), .unknownType(0x04)),
            (segment(handMadeFrame(type: 0x10, length: .max)), .tooLong),
            (segment([UInt8](repeating: 0x4D, count: 40)), .badHeaderChecksum),
        ]
        for (bad, damage) in cases {
            let input = frameA.encoded(.cobs) + bad + frameC.encoded(.cobs)
            let (events, discarded) = decodeAll(input, .cobs)
            #expect(events == [.frame(frameA), .damaged(damage), .frame(frameC)], "\(damage)")
            #expect(discarded == bad.count - 1, "\(damage)")
        }
    }

    /// Each frame travels between two zeros, so losing one delimiter loses no frame.
    @Test func lostDelimiterCostsNothing() {
        var input = frameA.encoded(.cobs) + frameB.encoded(.cobs) + frameC.encoded(.cobs)
        input.remove(at: frameA.encoded(.cobs).count - 1)
        #expect(decodeAll(input, .cobs).events == [.frame(frameA), .frame(frameB), .frame(frameC)])
    }

    /// Noise without a zero right before a frame spoils nothing: the frame's leading zero ends it.
    @Test func noiseBeforeAFrameCostsOnlyTheNoise() {
        let input: [UInt8] = [0x4D, 0x42, 0x13, 0x37] + frameA.encoded(.cobs)
        #expect(decodeAll(input, .cobs).events == [.damaged(.badCOBS), .frame(frameA)])
    }

    @Test func overlongSegmentIsReportedOnceAndNotKept() {
        var decoder = COBSFrameDecoder()
        let chunk = [UInt8](repeating: 0x01, count: 1 << 16)
        var events: [DecodeEvent] = []
        for _ in 0..<48 { // 3 MiB without a zero
            decoder.feed(chunk)
            events += decoder.drain()
        }
        #expect(events == [.damaged(.tooLong)])
        #expect(decoder.discardedBytes == 48 * chunk.count)
        decoder.feed([0] + frameA.encoded(.cobs))
        #expect(decoder.drain() == [.frame(frameA)])
        #expect(decoder.discardedBytes == 48 * chunk.count)
    }

    @Test func segmentJustOverTheLimitAllAtOnce() {
        let tooLong = [UInt8](repeating: 0x01, count: COBSFrameDecoder.maxSegmentSize + 1) + [0]
        let input = frameA.encoded(.cobs) + tooLong + frameB.encoded(.cobs)
        let expected: [DecodeEvent] = [.frame(frameA), .damaged(.tooLong), .frame(frameB)]
        #expect(decodeAll(input, .cobs).events == expected)
        #expect(decodeInPieces(input, .cobs, sizes: [4093]).events == expected)
        let atLimit = [UInt8](repeating: 0x01, count: COBSFrameDecoder.maxSegmentSize) + [0]
        #expect(decodeAll(atLimit, .cobs).events == [.damaged(.badHeaderChecksum)]) // not too long: decoded, all zeros
    }
}

@Suite struct SplitInvarianceTests {
    /// Frames of many sizes with noise of every kind between them.
    static func mixedInput(_ framing: Framing, seed: UInt64) -> [UInt8] {
        var rng = TestRandom(seed: seed)
        var input: [UInt8] = []
        for i in 0..<60 {
            let size = [0, 1, 13, 253, 254, 255, 600, 3000][i % 8]
            let frame = Frame(type: .data, id: UInt32(i), offset: UInt64(i) << 20, payload: randomBytes(size, &rng))
            var encoded = frame.encoded(framing)
            switch rng.below(6) {
            case 0: encoded[rng.below(encoded.count)] ^= 0x04 // damaged
            case 1: input += [0x4D, 0x42, 0x00, 0x4D] + (framing == .cobs ? [0] : [])
            case 2: input += randomBytes(rng.below(50), &rng) + (framing == .cobs ? [0] : [])
            default: break
            }
            input += encoded
        }
        return input + [0x4D, 0x42, 0x01]
    }

    @Test(arguments: [Framing.raw, .cobs]) func anySplitGivesTheSameEvents(_ framing: Framing) {
        let input = Self.mixedInput(framing, seed: framing == .raw ? 1 : 2)
        let whole = decodeAll(input, framing)
        #expect(frames(whole.events).count >= 40)
        #expect(!damages(whole.events).isEmpty)
        #expect(decodeInPieces(input, framing, sizes: [1]) == whole)
        var rng = TestRandom(seed: 99)
        for _ in 0..<20 {
            let sizes = (0..<50).map { _ in 1 + rng.below(rng.below(2) == 0 ? 30 : 5000) }
            #expect(decodeInPieces(input, framing, sizes: sizes) == whole)
        }
    }

    @Test func existentialDecodersWork() {
        var decoders: [any FrameDecoder] = [makeFrameDecoder(.raw), makeFrameDecoder(.cobs)]
        #expect(decoders[0] is RawFrameDecoder)
        #expect(decoders[1] is COBSFrameDecoder)
        decoders[0].feed(frameA.encoded(.raw))
        decoders[1].feed(frameA.encoded(.cobs))
        #expect(decoders[0].next() == .frame(frameA))
        #expect(decoders[1].next() == .frame(frameA))
        #expect(decoders[0].next() == nil && decoders[1].next() == nil)
    }
}
