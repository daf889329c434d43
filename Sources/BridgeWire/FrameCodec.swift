// Frame encoder, the parts both decoders share, and the raw (stream) decoder.
// Byte layout: docs/protocol.md, "Frames".

/// Turns frames into bytes for a link.
public enum FrameEncoder {
    /// The frame's bytes: header, payload, payload CRC; for `.cobs`, COBS-encoded between two zero
    /// bytes (the leading one ends any noise that came before, so it cannot spoil this frame). Traps if the payload is longer than `Frame.maxPayload`.
    public static func encode(_ frame: Frame, framing: Framing) -> [UInt8] {
        let raw = encodeRaw(frame)
        return framing == .raw ? raw : raw.withUnsafeBytes { COBS.encode($0, delimited: true) }
    }

    /// A data frame of `payloadCount` bytes that `fill` writes straight into the frame's own bytes:
    /// a large payload is never copied on its way to the link (`.raw`); `.cobs` then encodes it.
    public static func encodeData(
        id: UInt32, offset: UInt64, flags: FrameFlags, payloadCount: Int, framing: Framing,
        fill: (UnsafeMutableRawBufferPointer) -> Void
    ) -> [UInt8] {
        let raw = build(
            type: .data, version: Frame.currentVersion, flags: flags, id: id, offset: offset,
            payloadCount: payloadCount, fill: fill)
        return framing == .raw ? raw : raw.withUnsafeBytes { COBS.encode($0, delimited: true) }
    }

    static func encodeRaw(_ frame: Frame) -> [UInt8] {
        frame.payload.withUnsafeBytes { payload in
            build(
                type: frame.type, version: frame.version, flags: frame.flags, id: frame.id, offset: frame.offset,
                payloadCount: payload.count
            ) { $0.copyMemory(from: payload) }
        }
    }

    /// Header, payload (written by `fill`), payload CRC.
    private static func build(
        type: FrameType, version: UInt8, flags: FrameFlags, id: UInt32, offset: UInt64, payloadCount: Int,
        fill: (UnsafeMutableRawBufferPointer) -> Void
    ) -> [UInt8] {
        precondition(payloadCount <= Frame.maxPayload, "frame payload of \(payloadCount) bytes exceeds Frame.maxPayload")
        let total = Frame.headerSize + payloadCount + Frame.trailerSize
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, written in
            let out = UnsafeMutableRawBufferPointer(buffer)
            out[0] = Frame.magic.0
            out[1] = Frame.magic.1
            out[2] = version
            out[3] = type.rawValue
            out.storeBytes(of: flags.rawValue.littleEndian, toByteOffset: 4, as: UInt16.self)
            out.storeBytes(of: id.littleEndian, toByteOffset: 6, as: UInt32.self)
            out.storeBytes(of: offset.littleEndian, toByteOffset: 10, as: UInt64.self)
            out.storeBytes(of: UInt32(payloadCount).littleEndian, toByteOffset: 18, as: UInt32.self)
            let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[0..<22]))
            out.storeBytes(of: headerCRC.littleEndian, toByteOffset: 22, as: UInt32.self)
            let payload = UnsafeMutableRawBufferPointer(rebasing: out[Frame.headerSize..<(Frame.headerSize + payloadCount)])
            fill(payload)
            // Seeded with the header's CRC, so that a header can never pass as another frame's payload.
            let payloadCRC = CRC32C.update(headerCRC, UnsafeRawBufferPointer(payload))
            out.storeBytes(of: payloadCRC.littleEndian, toByteOffset: Frame.headerSize + payloadCount, as: UInt32.self)
            written = total
        }
    }
}

/// Turns bytes from a link into frames. Feed whatever arrived, then call `next()` until it returns
/// nil. Any split of the same input gives the same events. Between two drains a decoder holds at
/// most one incomplete frame plus what was fed since the last drain.
public protocol FrameDecoder: Sendable {
    mutating func feed(_ bytes: UnsafeRawBufferPointer)
    /// Like `feed`, for bytes the caller no longer needs: a decoder may keep the array itself
    /// instead of copying it.
    mutating func feed(consuming bytes: [UInt8])
    /// The next frame or damage report, or nil when more input is needed.
    mutating func next() -> DecodeEvent?
    /// Input bytes dropped so far (noise, damaged frames), delimiters not included.
    var discardedBytes: Int { get }
}

extension FrameDecoder {
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    public mutating func feed(consuming bytes: [UInt8]) {
        feed(bytes)
    }

    /// Every event available now.
    public mutating func drain() -> [DecodeEvent] {
        var events: [DecodeEvent] = []
        while let event = next() { events.append(event) }
        return events
    }
}

/// The decoder for a link's framing.
public func makeFrameDecoder(_ framing: Framing) -> any FrameDecoder {
    switch framing {
    case .raw: RawFrameDecoder()
    case .cobs: COBSFrameDecoder()
    }
}

// MARK: - Shared parsing

/// A header whose magic and CRC are correct and whose fields this version accepts.
struct FrameHeader {
    enum Parsed {
        case success(FrameHeader)
        case failure(FrameDamage)
    }

    var version: UInt8
    var type: FrameType
    var flags: FrameFlags
    var id: UInt32
    var offset: UInt64
    var payloadLength: Int

    var frameSize: Int { Frame.headerSize + payloadLength + Frame.trailerSize }

    /// Checks the first `Frame.headerSize` bytes of `bytes` (which must hold that many): magic,
    /// header CRC, then version, type and length, in that order.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed {
        precondition(bytes.count >= Frame.headerSize)
        guard bytes[0] == Frame.magic.0, bytes[1] == Frame.magic.1 else { return .failure(.badHeaderChecksum) }
        let stored = load(UInt32.self, bytes, 22)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<22]))
        guard stored == computed else { return .failure(.badHeaderChecksum) }
        let version = bytes[2]
        guard version == Frame.currentVersion else { return .failure(.unsupportedVersion(version)) }
        guard let type = FrameType(rawValue: bytes[3]) else { return .failure(.unknownType(bytes[3])) }
        let length = load(UInt32.self, bytes, 18)
        guard length <= UInt32(Frame.maxPayload) else { return .failure(.tooLong) }
        return .success(
            FrameHeader(
                version: version, type: type,
                flags: FrameFlags(rawValue: load(UInt16.self, bytes, 4)),
                id: load(UInt32.self, bytes, 6),
                offset: load(UInt64.self, bytes, 10),
                payloadLength: Int(length)))
    }

    /// Checks the payload CRC of the frame at the start of `bytes` (which holds `frameSize` bytes
    /// or more) and builds it.
    func frame(from bytes: UnsafeRawBufferPointer) -> DecodeEvent {
        let payload = UnsafeRawBufferPointer(rebasing: bytes[Frame.headerSize..<(Frame.headerSize + payloadLength)])
        let stored = FrameHeader.load(UInt32.self, bytes, Frame.headerSize + payloadLength)
        let headerCRC = FrameHeader.load(UInt32.self, bytes, Frame.headerSize - 4)
        guard CRC32C.update(headerCRC, payload) == stored else { return .damaged(.badPayloadChecksum(id: id)) }
        return .frame(Frame(type: type, id: id, offset: offset, flags: flags, payload: Array(payload), version: version))
    }

    static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

// MARK: - Raw (stream) decoder

/// Decodes frames sent back to back (sockets, USB). After damage it resynchronizes on the next
/// valid header: see docs/protocol.md, "Stream framing".
public struct RawFrameDecoder: FrameDecoder {
    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var start = 0
    /// The valid header at `start` whose frame is still incomplete.
    private var pending: FrameHeader?
    /// Dropping bytes after damage; noise is reported once per resynchronization.
    private var resynchronizing = false
    public private(set) var discardedBytes = 0

    public init() {}

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Keeps `bytes` as the buffer when nothing is left over from earlier input (the usual case on
    /// a fast link): no copy.
    public mutating func feed(consuming bytes: [UInt8]) {
        if start == buffer.count {
            buffer = bytes
            start = 0
        } else {
            bytes.withUnsafeBytes { feed($0) }
        }
    }

    public mutating func next() -> DecodeEvent? {
        let event = buffer.withUnsafeBytes { step($0) }
        compact()
        return event
    }

    private mutating func step(_ all: UnsafeRawBufferPointer) -> DecodeEvent? {
        while true {
            let available = all.count - start
            if let header = pending {
                guard available >= header.frameSize else { return nil }
                pending = nil
                let event = header.frame(from: UnsafeRawBufferPointer(rebasing: all[start..<(start + header.frameSize)]))
                start += header.frameSize
                resynchronizing = false
                if case .damaged = event { discardedBytes += header.frameSize }
                return event
            }
            guard available > 0 else { return nil }
            let isMagicStart = all[start] == Frame.magic.0 && (available < 2 || all[start + 1] == Frame.magic.1)
            if !isMagicStart {
                if !resynchronizing {
                    resynchronizing = true
                    return .damaged(.badHeaderChecksum)
                }
                // Drop everything up to the next possible magic byte.
                var next = start + 1
                while next < all.count && all[next] != Frame.magic.0 { next += 1 }
                discardedBytes += next - start
                start = next
                continue
            }
            guard available >= Frame.headerSize else { return nil }
            switch FrameHeader.parse(UnsafeRawBufferPointer(rebasing: all[start..<(start + Frame.headerSize)])) {
            case .success(let header):
                pending = header
            case .failure(let damage):
                // A header with a correct CRC was really sent: always report it. Noise is reported
                // once per resynchronization.
                let report: Bool
                switch damage {
                case .unsupportedVersion, .unknownType, .tooLong: report = true
                default: report = !resynchronizing
                }
                resynchronizing = true
                start += 1
                discardedBytes += 1
                if report { return .damaged(damage) }
            }
        }
    }

    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * Frame.maxFrameSize)
            start = 0
        } else if start >= 1 << 16 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}
