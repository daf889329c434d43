import BridgeWire

/// A seeded, deterministic fuzz campaign for both frame decoders, shared by the tests
/// (`BridgeWireTests`) and `mfpbridge-bench fuzz`; its inputs come from `SplitMix64`.
///
/// Input `i` of seed `s` is always the same bytes, whatever range it is run in, so a campaign can
/// be split across tasks and a failure reproduced alone with `run(i..<i+1)`. Even inputs go to the
/// raw decoder, odd ones to the COBS decoder. Each input is one of:
/// - random bytes (biased towards 0x00, the magic and small values): every frame that comes out
///   must be present in the input;
/// - valid frames with noise between, before and after them (random bytes, stray magic, headers
///   with a bad CRC, headers with a valid CRC but a huge length, another version or an unknown
///   type; on serial also zeros, bad COBS, truncated and corrupted frames): exactly the frames
///   sent must come out, in order;
/// - valid frames with damage (bit flips, deleted and inserted bytes, duplicated magic, huge
///   lengths with or without a fixed-up header CRC, a cut end, stray zeros): every frame that
///   comes out must be one that was sent (or one sent inside a payload); on serial, when only
///   frames were damaged (not the delimiters), exactly the undamaged frames come out.
/// For every input: no trap, every frame that comes out re-encodes to bytes whose CRCs the table
/// implementation accepts, `discardedBytes` never exceeds the input; for a share of the inputs,
/// feeding in random pieces (or one byte at a time) gives the same events as feeding all at once;
/// on serial, a delimiter and a valid frame after any input always decode.
public struct FrameFuzzCampaign: Sendable {
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        public var input: Int
        public var framing: Framing
        public var message: String
        public var description: String { "input \(input) (\(framing.rawValue)): \(message)" }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var inputs = 0
        public var bytesFed = 0
        public var framesSent = 0
        public var framesDecoded = 0
        public var damageEvents = 0
        public var splitChecks = 0
        public var failureCount = 0
        /// The first few failures (at most `keptFailures`).
        public var failures: [Failure] = []
        public static let keptFailures = 20

        public init() {}

        public var passed: Int { inputs - failureCount }

        public mutating func merge(_ other: Report) {
            inputs += other.inputs
            bytesFed += other.bytesFed
            framesSent += other.framesSent
            framesDecoded += other.framesDecoded
            damageEvents += other.damageEvents
            splitChecks += other.splitChecks
            failureCount += other.failureCount
            failures.append(contentsOf: other.failures.prefix(Self.keptFailures - min(failures.count, Self.keptFailures)))
        }

        public var description: String {
            "\(passed) passed, \(failureCount) failed (\(bytesFed) bytes, \(framesSent) frames sent, "
                + "\(framesDecoded) decoded, \(damageEvents) damage reports, \(splitChecks) split checks)"
        }
    }

    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// Runs inputs `range` (each index is one input for one decoder).
    public func run(_ range: Range<Int>) -> Report {
        var report = Report()
        for index in range { runInput(index, into: &report) }
        return report
    }

    // MARK: - One input

    private enum Kind { case random, noisy, damaged }

    private func runInput(_ index: Int, into report: inout Report) {
        var rng = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93))
        _ = rng.next()
        let framing: Framing = index % 2 == 0 ? .raw : .cobs
        let roll = rng.below(16)
        let kind: Kind = roll < 3 ? .random : roll < 7 ? .noisy : .damaged

        var input: [UInt8] = []
        var sent: [Frame] = []
        var allowed: [Frame] = [] // sent frames and frames carried inside payloads
        var exact = false
        var frameMutated = [Bool]()
        var streamMutated = false

        switch kind {
        case .random:
            input = randomBytes(&rng, count: rng.below(600))
        case .noisy, .damaged:
            let count = 1 + rng.below(4)
            var raws: [[UInt8]] = []
            for _ in 0..<count {
                let (frame, inner) = randomFrame(&rng)
                sent.append(frame)
                allowed.append(frame)
                if let inner { allowed.append(inner) }
                raws.append(FrameEncoder.encode(frame, framing: .raw))
            }
            frameMutated = Array(repeating: false, count: count)
            if kind == .damaged {
                for i in raws.indices where rng.chance(1, in: 2) {
                    mutateFrame(&raws[i], &rng)
                    frameMutated[i] = true
                }
            }
            let noisy = kind == .noisy || rng.chance(1, in: 3)
            for raw in raws {
                if noisy && rng.chance(1, in: 2) { input += noise(&rng, framing: framing, carrying: &allowed) }
                switch framing {
                case .raw: input += raw
                case .cobs: input += COBS.encode(raw) + [0]
                }
            }
            if noisy && rng.chance(1, in: 2) { input += noise(&rng, framing: framing, carrying: &allowed) }
            if kind == .damaged && (frameMutated.allSatisfy({ !$0 }) || rng.chance(1, in: 2)) {
                mutateStream(&input, &rng, framing: framing)
                streamMutated = true
            }
            exact = kind == .noisy || (framing == .cobs && !streamMutated)
        }

        report.inputs += 1
        report.bytesFed += input.count
        report.framesSent += sent.count
        var failures: [String] = []

        var decoder = makeFrameDecoder(framing)
        decoder.feed(input)
        let events = decoder.drain()
        let decoded = events.compactMap { if case .frame(let f) = $0 { f } else { nil } }
        report.framesDecoded += decoded.count
        report.damageEvents += events.count - decoded.count

        for frame in decoded {
            if let problem = Self.checkFrame(frame) { failures.append(problem) }
        }
        if decoder.discardedBytes > input.count {
            failures.append("discarded \(decoder.discardedBytes) of \(input.count) bytes")
        }
        switch kind {
        case .random:
            if !decoded.isEmpty && !Self.allPresent(decoded, in: input, framing: framing) {
                failures.append("a decoded frame is not in the input")
            }
        case .noisy, .damaged:
            if exact {
                let expected = zip(sent, frameMutated).filter { !$0.1 }.map(\.0)
                if decoded != expected {
                    failures.append("decoded \(decoded.count) frames, expected \(expected.count) unchanged frames")
                }
            } else {
                for frame in decoded where !allowed.contains(frame) {
                    failures.append("decoded a frame that was not sent (type \(frame.type), id \(frame.id))")
                }
            }
        }

        let discardedAllAtOnce = decoder.discardedBytes
        if framing == .cobs {
            let probe = Frame(type: .event, id: UInt32(truncatingIfNeeded: index), payload: [0, 1, 2])
            decoder.feed([0] + FrameEncoder.encode(probe, framing: .cobs))
            let after = decoder.drain()
            if after.last != .frame(probe) { failures.append("no recovery after a delimiter: \(after)") }
        }

        if rng.chance(1, in: 6) {
            report.splitChecks += 1
            let byteAtATime = input.count <= 4096 && rng.chance(1, in: 4)
            var pieces = makeFrameDecoder(framing)
            var splitEvents: [DecodeEvent] = []
            var at = 0
            while at < input.count {
                let size = byteAtATime ? 1 : 1 + rng.below(rng.chance(1, in: 2) ? 8 : 200)
                let end = min(input.count, at + size)
                input[at..<end].withUnsafeBytes { pieces.feed($0) }
                splitEvents += pieces.drain()
                at = end
            }
            if splitEvents != events { failures.append("split feeding gave other events (byte at a time: \(byteAtATime))") }
            if pieces.discardedBytes != discardedAllAtOnce {
                failures.append("split feeding discarded \(pieces.discardedBytes), not \(decoder.discardedBytes)")
            }
        }

        if !failures.isEmpty {
            report.failureCount += 1
            if report.failures.count < Report.keptFailures {
                report.failures.append(Failure(input: index, framing: framing, message: failures.joined(separator: "; ")))
            }
        }
    }

    // MARK: - Checks

    /// A frame whose 22-byte payload is the start of the next header: a raw-stream frame that lost
    /// its payload and trailer decodes with the next header's first 22 bytes as payload, whose CRC
    /// is that header's CRC (docs/protocol.md, "Stream framing", known limit).
    /// Re-encodes the frame and checks both CRCs with the table implementation.
    static func checkFrame(_ frame: Frame) -> String? {
        guard frame.version == Frame.currentVersion else { return "decoded version \(frame.version)" }
        guard frame.payload.count <= Frame.maxPayload else { return "decoded an oversized payload" }
        let raw = FrameEncoder.encode(frame, framing: .raw)
        // The payload CRC runs on from the header CRC: the CRC of header bytes 0-21 then the payload.
        // Cut from the array: its slices copy in one go, where slices of a raw buffer go through
        // generic code, about 2.5 times slower in a debug build.
        let covered = Array(raw[0..<22]) + raw[Frame.headerSize..<(raw.count - 4)]
        let payload = covered.withUnsafeBytes { CRC32C.softwareChecksum($0) }
        return raw.withUnsafeBytes { bytes -> String? in
            let header = CRC32C.softwareChecksum(UnsafeRawBufferPointer(rebasing: bytes[0..<22]))
            let storedHeader = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 22, as: UInt32.self))
            let storedPayload = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self))
            return header == storedHeader && payload == storedPayload ? nil : "decoded frame fails the table CRC"
        }
    }

    /// Raw: the frame's bytes occur in the input. COBS: some segment of the input decodes to them.
    static func allPresent(_ frames: [Frame], in input: [UInt8], framing: Framing) -> Bool {
        switch framing {
        case .raw:
            return frames.allSatisfy { frame in
                let needle = FrameEncoder.encode(frame, framing: .raw)
                guard needle.count <= input.count else { return false }
                return (0...(input.count - needle.count)).contains { input[$0..<($0 + needle.count)].elementsEqual(needle) }
            }
        case .cobs:
            let segments = input.split(separator: 0).compactMap { COBS.decode($0) }
            return frames.allSatisfy { segments.contains(FrameEncoder.encode($0, framing: .raw)) }
        }
    }

    // MARK: - Generators

    /// Most of the campaign's bytes come from here. A loop that appends, not `(0..<count).map`: a
    /// debug build runs `map` as unspecialized generic code that looks up type metadata for every
    /// element, about ten times slower.
    private func randomBytes(_ rng: inout SplitMix64, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count {
            switch rng.below(10) {
            case 0: bytes.append(0x00)
            case 1: bytes.append(Frame.magic.0)
            case 2: bytes.append(Frame.magic.1)
            case 3: bytes.append(UInt8(rng.below(4)))
            default: bytes.append(UInt8(truncatingIfNeeded: rng.next()))
            }
        }
        return bytes
    }

    /// A frame, and the frame its payload carries when it carries one.
    private func randomFrame(_ rng: inout SplitMix64) -> (Frame, Frame?) {
        let type = FrameType.allCases[rng.below(FrameType.allCases.count)]
        let id = rng.chance(1, in: 2) ? UInt32(rng.below(8)) : UInt32(truncatingIfNeeded: rng.next())
        let offset = rng.chance(1, in: 2) ? 0 : rng.next() >> UInt64(rng.below(64))
        let flags = rng.chance(1, in: 2) ? FrameFlags() : FrameFlags(rawValue: UInt16(truncatingIfNeeded: rng.next()))
        let sizeRoll = rng.below(100)
        let size = sizeRoll < 60 ? rng.below(48) : sizeRoll < 97 ? 48 + rng.below(600) : 648 + rng.below(6000)
        var payload = randomBytes(&rng, count: size)
        var inner: Frame?
        if rng.chance(1, in: 10) {
            let carried = Frame(type: .data, id: UInt32(rng.below(100)), payload: randomBytes(&rng, count: rng.below(16)))
            let at = rng.below(payload.count + 1)
            payload.insert(contentsOf: FrameEncoder.encode(carried, framing: .raw), at: at)
            inner = carried
        }
        return (Frame(type: type, id: id, offset: offset, flags: flags, payload: payload), inner)
    }

    /// A header with the given fields and a correct header CRC (whatever it announces).
    private func header(version: UInt8, type: UInt8, length: UInt32, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = [Frame.magic.0, Frame.magic.1, version, type]
        bytes += randomBytes(&rng, count: 14) // flags, id, offset
        withUnsafeBytes(of: length.littleEndian) { bytes += $0 }
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes += $0 }
        return bytes
    }

    /// Noise that can never hide a valid frame after it.
    private func noise(_ rng: inout SplitMix64, framing: Framing, carrying carried: inout [Frame]) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<(1 + rng.below(3)) {
            switch framing {
            case .raw:
                switch rng.below(8) {
                case 0: out += randomBytes(&rng, count: 1 + rng.below(64))
                case 1: out += [Frame.magic.0, Frame.magic.1]
                case 2: out += [Frame.magic.0, Frame.magic.1] + randomBytes(&rng, count: rng.below(Frame.headerSize))
                case 3: // a header whose CRC is wrong
                    var h = header(version: 1, type: 0x01, length: UInt32(rng.below(64)), &rng)
                    h[22 + rng.below(4)] ^= 1 << UInt8(rng.below(8))
                    out += h
                case 4: out += header(version: 1, type: 0x10, length: [UInt32.max, UInt32(Frame.maxPayload) + 1][rng.below(2)], &rng)
                case 5: out += header(version: UInt8(2 + rng.below(254)), type: 0x01, length: UInt32(rng.below(64)), &rng)
                case 6: out += header(version: 1, type: 0x20 + UInt8(rng.below(16)), length: UInt32(rng.below(64)), &rng)
                default: out += [Frame.magic.0]
                }
            case .cobs:
                switch rng.below(9) {
                case 0: out += randomBytes(&rng, count: 1 + rng.below(64)) + [0]
                case 1: out += Array(repeating: 0, count: 1 + rng.below(3))
                case 2: out += COBS.encode(randomBytes(&rng, count: rng.below(80))) + [0]
                case 3: // a truncated frame
                    let frame = randomFrame(&rng).0
                    carried.append(frame) // damage to the input can repair it
                    let raw = FrameEncoder.encode(frame, framing: .raw)
                    out += COBS.encode(raw.prefix(rng.below(raw.count))) + [0]
                case 4: // a frame with a flipped bit
                    let frame = randomFrame(&rng).0
                    carried.append(frame)
                    var raw = FrameEncoder.encode(frame, framing: .raw)
                    raw[rng.below(raw.count)] ^= 1 << UInt8(rng.below(8))
                    out += COBS.encode(raw) + [0]
                case 5: out += COBS.encode(header(version: 1, type: 0x10, length: UInt32.max, &rng)) + [0]
                case 6: out += COBS.encode(header(version: 2, type: 0x01, length: 0, &rng) + [0, 0, 0, 0]) + [0]
                case 7: // a frame with bytes after it
                    let frame = randomFrame(&rng).0
                    carried.append(frame) // damage to the input can repair it
                    let raw = FrameEncoder.encode(frame, framing: .raw)
                    out += COBS.encode(raw + randomBytes(&rng, count: 1 + rng.below(8))) + [0]
                default:
                    if rng.chance(1, in: 2000) { // longer than any frame: dropped without being kept
                        out += Array(repeating: 0x55, count: COBSFrameDecoder.maxSegmentSize + 1 + rng.below(1000)) + [0]
                    } else {
                        out += [0xFF] + randomBytes(&rng, count: rng.below(10)).map { $0 | 1 } + [0] // bad COBS
                    }
                }
            }
        }
        return out
    }

    /// Damage to one frame before any COBS encoding.
    private func mutateFrame(_ raw: inout [UInt8], _ rng: inout SplitMix64) {
        switch rng.below(5) {
        case 0, 1:
            raw[rng.below(raw.count)] ^= 1 << UInt8(rng.below(8))
        case 2:
            raw.removeLast(1 + rng.below(raw.count))
        case 3, 4: // a huge length, with the header CRC fixed up or not
            let length: UInt32 = [UInt32.max, UInt32(Frame.maxPayload) + 1, UInt32(Frame.maxPayload), UInt32(rng.below(1 << 16))][
                rng.below(4)]
            withUnsafeBytes(of: length.littleEndian) { raw.replaceSubrange(18..<22, with: $0) }
            if rng.chance(1, in: 2) {
                let crc = CRC32C.checksum(raw[0..<22])
                withUnsafeBytes(of: crc.littleEndian) { raw.replaceSubrange(22..<26, with: $0) }
            }
        default:
            break
        }
    }

    /// Damage to the bytes on the link.
    private func mutateStream(_ bytes: inout [UInt8], _ rng: inout SplitMix64, framing: Framing) {
        for _ in 0..<(1 + rng.below(4)) {
            let at = rng.below(bytes.count + 1)
            switch rng.below(7) {
            case 0 where !bytes.isEmpty:
                bytes[min(at, bytes.count - 1)] ^= 1 << UInt8(rng.below(8))
            case 1 where at < bytes.count:
                bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.below(50)))
            case 2:
                bytes.insert(contentsOf: randomBytes(&rng, count: 1 + rng.below(40)), at: at)
            case 3:
                bytes.insert(contentsOf: [Frame.magic.0, Frame.magic.1], at: at)
            case 4:
                bytes.removeSubrange(at...)
            case 5:
                bytes.insert(0, at: at)
            default:
                // A loop, not `bytes.indices.filter`, for the same reason as in `randomBytes`.
                var zeros: [Int] = []
                for i in bytes.indices where bytes[i] == 0 { zeros.append(i) }
                if let zero = zeros.randomElement(using: &rng) {
                    bytes[zero] = 0x4D // a lost delimiter
                }
            }
        }
    }
}
