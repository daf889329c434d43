import BridgeWire
import Synchronization

/// Frames over a link: encodes with the link's framing, decodes what arrives, and skips damaged
/// frames (counting them), so that noise on a serial line costs a retry, never a crash.
///
/// `send` may be called from any thread; `receive` from one thread at a time.
public final class FrameChannel: Sendable {
    public let link: any Link
    private let decoder: Mutex<any FrameDecoder>
    private let damaged = Atomic<Int>(0)

    public init(link: any Link) {
        self.link = link
        self.decoder = Mutex(makeFrameDecoder(link.framing))
    }

    /// Bytes asked of the link per read: a whole large frame on stream links (fewer system calls),
    /// less on serial lines, which deliver a few KiB at a time anyway.
    private var receiveSize: Int { link.framing == .raw ? 1 << 20 : 64 << 10 }

    /// Damaged frames and garbage seen so far.
    public var damagedFrames: Int { damaged.load(ordering: .relaxed) }

    public func send(_ frame: Frame) throws(LinkError) {
        try link.send(FrameEncoder.encode(frame, framing: link.framing))
    }

    /// Sends bytes already encoded for this link's framing (``FrameEncoder/encodeData(id:offset:flags:payloadCount:framing:fill:)``).
    public func sendEncoded(_ bytes: [UInt8]) throws(LinkError) {
        try link.send(bytes)
    }

    /// The next decoded event, or `nil` when `timeout` passes with no complete frame.
    public func receiveEvent(timeout: Duration) throws(LinkError) -> DecodeEvent? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let event = decoder.withLock({ $0.next() }) {
                if case .damaged = event { damaged.add(1, ordering: .relaxed) }
                return event
            }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return nil }
            let bytes = try link.receive(maxBytes: receiveSize, timeout: remaining)
            if !bytes.isEmpty {
                decoder.withLock { $0.feed(consuming: bytes) }
            }
        }
    }

    /// The next intact frame, or `nil` on timeout.
    public func receive(timeout: Duration) throws(LinkError) -> Frame? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero, let event = try receiveEvent(timeout: remaining) else { return nil }
            if case let .frame(frame) = event { return frame }
        }
    }

    /// A frame already decoded, or else what one read of the link without waiting brings (one
    /// system call): lets a busy sender hear the receiver (checkpoints, a cancel) without blocking.
    public func receiveWithoutWaiting() throws(LinkError) -> Frame? {
        while let event = decoder.withLock({ $0.next() }) {
            if case let .frame(frame) = event { return frame }
            damaged.add(1, ordering: .relaxed)
        }
        let bytes = try link.receive(maxBytes: receiveSize, timeout: .zero)
        guard !bytes.isEmpty else { return nil }
        decoder.withLock { $0.feed(consuming: bytes) }
        while let event = decoder.withLock({ $0.next() }) {
            if case let .frame(frame) = event { return frame }
            damaged.add(1, ordering: .relaxed)
        }
        return nil
    }

    public func close() { link.close() }
}
