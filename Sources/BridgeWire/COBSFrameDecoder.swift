import Glibc // memchr: a C library function, no system call

/// Decodes COBS-framed frames (serial lines): each frame COBS-encoded and followed by one zero
/// byte. Every segment between zeros stands alone, so the decoder is back in step at the next
/// zero after any damage. See docs/protocol.md, "Serial framing (COBS)".
public struct COBSFrameDecoder: FrameDecoder {
    /// The longest segment (between two zeros) a valid frame can produce.
    public static let maxSegmentSize = COBS.maxEncodedCount(Frame.maxFrameSize)

    private var buffer: [UInt8] = []
    /// First byte of the current segment.
    private var start = 0
    /// `buffer[start..<scanned]` holds no zero.
    private var scanned = 0
    /// Dropping an over-long segment until its delimiter.
    private var skipping = false
    public private(set) var discardedBytes = 0

    public init() {}

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Keeps `bytes` as the buffer when nothing is left over from earlier input: no copy.
    public mutating func feed(consuming bytes: [UInt8]) {
        if start == buffer.count {
            buffer = bytes
            start = 0
            scanned = 0
        } else {
            bytes.withUnsafeBytes { feed($0) }
        }
    }

    /// The index of the first zero in `all[from..<end]`, or `end` (memchr: this scan sees every
    /// byte of a serial line).
    private static func zero(in all: UnsafeRawBufferPointer, from: Int, before end: Int) -> Int {
        guard from < end, let base = all.baseAddress, let found = memchr(base + from, 0, end - from) else { return max(from, end) }
        return UnsafeRawPointer(found) - base
    }

    public mutating func next() -> DecodeEvent? {
        let event = buffer.withUnsafeBytes { step($0) }
        compact()
        return event
    }

    private mutating func step(_ all: UnsafeRawBufferPointer) -> DecodeEvent? {
        while true {
            if skipping {
                let i = Self.zero(in: all, from: start, before: all.count)
                discardedBytes += i - start
                guard i < all.count else {
                    start = i
                    scanned = i
                    return nil
                }
                skipping = false
                start = i + 1
                scanned = start
                continue
            }
            // Look for the delimiter, but no further than the longest valid segment.
            let limit = min(all.count, start + Self.maxSegmentSize + 1)
            let i = Self.zero(in: all, from: scanned, before: limit)
            guard i < limit else {
                scanned = limit
                if limit - start > Self.maxSegmentSize {
                    skipping = true
                    discardedBytes += limit - start
                    start = limit
                    scanned = limit
                    return .damaged(.tooLong)
                }
                return nil
            }
            let segment = UnsafeRawBufferPointer(rebasing: all[start..<i])
            start = i + 1
            scanned = start
            if segment.isEmpty { continue }
            let event = Self.decodeSegment(segment)
            if case .damaged = event { discardedBytes += segment.count }
            return event
        }
    }

    /// One segment must be exactly one valid frame.
    static func decodeSegment(_ segment: UnsafeRawBufferPointer) -> DecodeEvent {
        guard let decoded = COBS.decode(segment) else { return .damaged(.badCOBS) }
        return decoded.withUnsafeBytes { bytes in
            guard bytes.count >= Frame.headerSize + Frame.trailerSize else { return .damaged(.truncated) }
            switch FrameHeader.parse(bytes) {
            case .failure(let damage):
                return .damaged(damage)
            case .success(let header):
                if bytes.count < header.frameSize { return .damaged(.truncated) }
                if bytes.count > header.frameSize { return .damaged(.badCOBS) }
                return header.frame(from: bytes)
            }
        }
    }

    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * Self.maxSegmentSize)
            start = 0
            scanned = 0
        } else if start >= 1 << 16 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
    }
}
