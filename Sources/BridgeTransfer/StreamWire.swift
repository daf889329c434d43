import BridgeWire

/// The frames of a resumable stream (docs/protocol.md, "Resumable streams"). All on one stream id.
public enum StreamWire {
    /// The most earlier checkpoints an offer carries besides the newest.
    public static let maxOfferCandidates = 16

    /// What a stream frame says.
    public enum Message: Sendable, Equatable {
        /// Sender to receiver: `payload` at `offset`; `last` ends the stream at offset + count.
        case data(offset: UInt64, payload: [UInt8], last: Bool)
        /// Receiver to sender: you may send bytes below `limit`.
        case credit(limit: UInt64)
        /// Receiver to sender: send again from `from` (a gap, or nothing arrived for a while);
        /// also grants credit up to `limit`.
        case rewind(from: UInt64, limit: UInt64)
        /// Receiver to sender: durable up to `offset`, chain `hash` there.
        case checkpoint(offset: UInt64, hash: ChainHash)
        /// Receiver to sender, first: my durable checkpoints, newest first (the first is where I
        /// would continue), and the credit window to start with.
        case offer(window: UInt64, candidates: [Candidate])
        /// Either side: I stop this stream now (a local file failed, the operator stopped it);
        /// the other side stops at once instead of waiting out its stall timeout.
        case cancel(reason: String)
    }

    public struct Candidate: Sendable, Equatable {
        public var offset: UInt64
        public var hash: ChainHash
        public init(offset: UInt64, hash: ChainHash) {
            self.offset = offset
            self.hash = hash
        }
    }

    public static func frame(_ message: Message, stream: UInt32) -> Frame {
        switch message {
        case let .data(offset, payload, last):
            return Frame(type: .data, id: stream, offset: offset, flags: last ? .last : [], payload: payload)
        case let .credit(limit):
            return Frame(type: .credit, id: stream, offset: limit)
        case let .rewind(from, limit):
            var payload: [UInt8] = []
            append(from, to: &payload)
            return Frame(type: .credit, id: stream, offset: limit, payload: payload)
        case let .checkpoint(offset, hash):
            return Frame(type: .checkpoint, id: stream, offset: offset, payload: hash.bytes)
        case let .cancel(reason):
            return Frame(type: .credit, id: stream, flags: .error, payload: Array(reason.utf8.prefix(1024)))
        case let .offer(window, candidates):
            precondition(!candidates.isEmpty && candidates.count <= maxOfferCandidates + 1)
            var payload: [UInt8] = []
            append(window, to: &payload)
            for candidate in candidates {
                append(candidate.offset, to: &payload)
                payload += candidate.hash.bytes
            }
            return Frame(type: .checkpoint, id: stream, offset: candidates[0].offset, payload: payload)
        }
    }

    /// The message in `frame`, or nil when it is not a well-formed stream frame.
    public static func message(_ frame: Frame) -> Message? {
        switch frame.type {
        case .data:
            return .data(offset: frame.offset, payload: frame.payload, last: frame.flags.contains(.last))
        case .credit:
            if frame.flags.contains(.error) { return .cancel(reason: String(decoding: frame.payload, as: UTF8.self)) }
            if frame.payload.isEmpty { return .credit(limit: frame.offset) }
            guard frame.payload.count == 8 else { return nil }
            let from = load(frame.payload, 0)
            guard from <= frame.offset else { return nil }
            return .rewind(from: from, limit: frame.offset)
        case .checkpoint:
            if frame.payload.count == ChainHash.byteCount {
                return .checkpoint(offset: frame.offset, hash: ChainHash(unchecked: frame.payload))
            }
            let count = (frame.payload.count - 8) / 40
            guard frame.payload.count >= 48, (frame.payload.count - 8) % 40 == 0, count <= maxOfferCandidates + 1 else { return nil }
            let window = load(frame.payload, 0)
            var candidates: [Candidate] = []
            for i in 0..<count {
                let at = 8 + 40 * i
                candidates.append(
                    Candidate(
                        offset: load(frame.payload, at),
                        hash: ChainHash(unchecked: Array(frame.payload[(at + 8)..<(at + 40)]))))
            }
            guard candidates[0].offset == frame.offset else { return nil }
            return .offer(window: window, candidates: candidates)
        default:
            return nil
        }
    }

    private static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    private static func load(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    }
}
