import BridgeWire
import MFPTestTools

/// "4D 42 01" -> [0x4D, 0x42, 0x01]
func bytes(hex: String) -> [UInt8] {
    hex.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// [0x4D, 0x42] -> "4D 42" (the format of docs/protocol.md).
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
}

typealias TestRandom = SplitMix64

func randomBytes(_ count: Int, _ rng: inout TestRandom) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
}

/// Every event from feeding `input` in one piece.
func decodeAll(_ input: [UInt8], _ framing: Framing) -> (events: [DecodeEvent], discarded: Int) {
    var decoder = makeFrameDecoder(framing)
    decoder.feed(input)
    return (decoder.drain(), decoder.discardedBytes)
}

/// Every event from feeding `input` in pieces of the given sizes (cycled), draining after each.
func decodeInPieces(_ input: [UInt8], _ framing: Framing, sizes: [Int]) -> (events: [DecodeEvent], discarded: Int) {
    var decoder = makeFrameDecoder(framing)
    var events: [DecodeEvent] = []
    var at = 0
    var i = 0
    while at < input.count {
        let end = min(input.count, at + sizes[i % sizes.count])
        input[at..<end].withUnsafeBytes { decoder.feed($0) }
        events += decoder.drain()
        at = end
        i += 1
    }
    return (events, decoder.discardedBytes)
}

func frames(_ events: [DecodeEvent]) -> [Frame] {
    events.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
}

func damages(_ events: [DecodeEvent]) -> [FrameDamage] {
    events.compactMap { if case .damaged(let damage) = $0 { damage } else { nil } }
}
