/// What a frame carries. Values are the wire's type byte (header byte 3).
public enum FrameType: UInt8, Sendable, CaseIterable {
    case request = 0x01
    case response = 0x02
    case event = 0x03
    case data = 0x10
    case credit = 0x11
    case checkpoint = 0x12
}

/// Header bytes 4-5. Unknown bits are carried through unchanged.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Last chunk of a stream.
    public static let last = FrameFlags(rawValue: 1 << 0)
    /// The payload describes an error.
    public static let error = FrameFlags(rawValue: 1 << 1)
}

/// One frame of wire protocol v1 (docs/protocol.md, "Frames"):
/// a 26-byte little-endian header, the payload, and the payload's CRC32C.
public struct Frame: Sendable, Hashable {
    public static let magic: (UInt8, UInt8) = (0x4D, 0x42) // "MB"
    public static let currentVersion: UInt8 = 1
    public static let headerSize = 26
    public static let trailerSize = 4
    public static let maxPayload = 1 << 20 // 1 MiB
    /// The largest frame on the wire before any COBS encoding.
    public static let maxFrameSize = headerSize + maxPayload + trailerSize

    public var version: UInt8
    public var type: FrameType
    public var flags: FrameFlags
    /// Request id (request, response) or stream id (data, credit, checkpoint).
    public var id: UInt32
    /// Byte offset in the stream (data, credit, checkpoint); 0 otherwise.
    public var offset: UInt64
    /// At most `Frame.maxPayload` bytes; the encoder traps on more.
    public var payload: [UInt8]

    public init(
        type: FrameType, id: UInt32, offset: UInt64 = 0, flags: FrameFlags = [],
        payload: [UInt8] = [], version: UInt8 = Frame.currentVersion
    ) {
        self.version = version
        self.type = type
        self.flags = flags
        self.id = id
        self.offset = offset
        self.payload = payload
    }

    /// This frame's bytes on a link with the given framing (`FrameEncoder.encode`).
    public func encoded(_ framing: Framing = .raw) -> [UInt8] {
        FrameEncoder.encode(self, framing: framing)
    }
}

/// How frames are delimited on a link.
public enum Framing: String, Sendable {
    /// Frames back to back: sockets and USB bulk.
    case raw
    /// Each frame COBS-encoded between two zero bytes: serial lines.
    case cobs
}

/// What a decoder yields, in the order of the input.
public enum DecodeEvent: Sendable, Hashable {
    case frame(Frame)
    case damaged(FrameDamage)
}

/// Why input was dropped. See docs/protocol.md for when each is reported.
public enum FrameDamage: Sendable, Hashable {
    /// No valid header where one was expected: missing magic or a header CRC mismatch.
    case badHeaderChecksum
    /// The header was valid but the payload CRC was not; the whole frame was dropped.
    case badPayloadChecksum(id: UInt32)
    /// Serial only: the segment between delimiters is not valid COBS, or holds bytes after its frame.
    case badCOBS
    /// The header announces more than `Frame.maxPayload`, or (serial) a segment exceeds the
    /// longest encoded frame.
    case tooLong
    /// Serial only: the segment ends before the frame it announces.
    case truncated
    /// A valid header (CRC correct) with a type byte this version does not know.
    case unknownType(UInt8)
    /// A valid header (CRC correct) with a version other than `Frame.currentVersion`: the upper
    /// layer answers "unsupported protocol version".
    case unsupportedVersion(UInt8)
}
