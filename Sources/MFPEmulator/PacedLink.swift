import BridgeLink
import BridgeWire
import Foundation
import Synchronization

/// The emulator's side of a link at the speed of a serial cable (`emulate-ctl line-speed BAUD`):
/// each byte takes 10 bit times (8N1) in each direction. A pty or a socket is otherwise as fast as
/// memory; bench rigs and tests use this to see the transfer times of a real line, and to have
/// time to pull the plug mid-transfer.
final class PacedLink: Link {
    let base: any Link
    let device: VirtualMFP
    private let outgoing = LineDirection()
    private let incoming = LineDirection()

    init(_ base: any Link, device: VirtualMFP) {
        self.base = base
        self.device = device
    }

    var address: String { base.address }
    var framing: Framing { base.framing }

    func send(_ bytes: [UInt8]) throws(LinkError) {
        try base.send(bytes)
        if let baud = device.lineSpeed() { outgoing.carry(bytes.count, baud: baud) }
    }

    func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        let bytes = try base.receive(maxBytes: maxBytes, timeout: timeout)
        if let baud = device.lineSpeed() { incoming.carry(bytes.count, baud: baud) }
        return bytes
    }

    func close() { base.close() }
}

/// One direction of a paced line: when it is free again.
private final class LineDirection: Sendable {
    private let freeAt = Mutex(ContinuousClock.now)

    /// Waits until `count` bytes, queued after those already on the line, have gone through.
    func carry(_ count: Int, baud: Int) {
        guard count > 0 else { return }
        let duration = Duration.nanoseconds(Int64(count) * 10 * 1_000_000_000 / Int64(baud))
        let done = freeAt.withLock { freeAt in
            freeAt = max(freeAt, ContinuousClock.now) + duration
            return freeAt
        }
        let wait = ContinuousClock.now.duration(to: done)
        if wait > .zero {
            Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18)
        }
    }
}
