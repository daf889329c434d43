import BridgeLink
import BridgeWire

/// The emulator's side of a link, with the line faults a bench rig asks for (`emulate-ctl
/// corrupt N`, `drop N`): a flipped bit in, or a run of bytes missing from, each of the next N
/// writes to the host. Frames carry CRCs and streams rewind on gaps, so the host must ride out
/// both; nothing here is a mock of the host's side.
final class FaultyLink: Link {
    let base: any Link
    let device: VirtualMFP

    init(_ base: any Link, device: VirtualMFP) {
        self.base = base
        self.device = device
    }

    var address: String { base.address }
    var framing: Framing { base.framing }

    func send(_ bytes: [UInt8]) throws(LinkError) {
        guard !bytes.isEmpty, let fault = device.takeLineFault() else {
            try base.send(bytes)
            return
        }
        var generator = SystemRandomNumberGenerator()
        var damaged = bytes
        switch fault {
        case .flipBit:
            let index = Int.random(in: 0..<damaged.count, using: &generator)
            damaged[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
        case .dropBytes:
            let start = Int.random(in: 0..<damaged.count, using: &generator)
            let count = Int.random(in: 1...min(64, damaged.count - start), using: &generator)
            damaged.removeSubrange(start..<(start + count))
        }
        try base.send(damaged)
    }

    func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        try base.receive(maxBytes: maxBytes, timeout: timeout)
    }

    func close() { base.close() }
}

/// A line fault waiting to happen to the next write.
enum LineFault: Sendable {
    case flipBit
    case dropBytes
}
