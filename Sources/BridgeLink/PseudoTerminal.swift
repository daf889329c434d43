import BridgeWire
import Glibc

/// The device side of a pseudo-terminal: an emulator serves on the master, and hosts open
/// ``slavePath`` with ``SerialLink`` as if it were a serial port.
///
/// The pseudo-terminal keeps one descriptor of its own slave open for its whole life, so the
/// master keeps working while no host has the slave open (otherwise the master would read EIO
/// between hosts). Closing the pseudo-terminal hangs the slave up: a host's `SerialLink` then
/// reports `.vanished`, as with an unplugged cable.
public final class PseudoTerminal: Link {
    public let slavePath: String
    public let address: String
    public var framing: Framing { .cobs }
    let descriptor: LinkDescriptor

    private init(slavePath: String, descriptor: LinkDescriptor) {
        self.slavePath = slavePath
        self.address = descriptor.address
        self.descriptor = descriptor
    }

    public static func open() throws(LinkError) -> PseudoTerminal {
        let master: FileDescriptor
        let slavePath: String
        let slave: FileDescriptor
        do throws(SyscallError) {
            master = FileDescriptor(
                takingOwnershipOf: try Syscall.openPseudoTerminalMaster(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC))
            try Syscall.grantpt(master.raw)
            try Syscall.unlockpt(master.raw)
            slavePath = try Syscall.ptsname(master.raw)
            slave = FileDescriptor(takingOwnershipOf: try Syscall.open(slavePath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC))
            var settings = try Syscall.tcgetattr(slave.raw)
            SerialLink.applyRaw8N1(&settings)
            try Syscall.tcsetattr(slave.raw, settings)
        } catch {
            throw LinkError(
                code: error.errno == EACCES || error.errno == EPERM ? .permissionDenied : .io,
                message: "cannot create a pseudo-terminal (\(error.call) failed): is /dev/pts mounted and /dev/ptmx accessible?",
                errno: error.errno)
        }
        let descriptor = try LinkDescriptor(master, kind: .terminal, address: "pty:\(slavePath)", companions: [slave.take()])
        return PseudoTerminal(slavePath: slavePath, descriptor: descriptor)
    }

    public func send(_ bytes: [UInt8]) throws(LinkError) {
        try descriptor.send(bytes)
    }

    public func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        try descriptor.receive(maxBytes: maxBytes, timeout: timeout)
    }

    /// Closes the master and the pseudo-terminal's own slave descriptor: hosts see `.vanished`.
    public func close() {
        descriptor.close()
    }
}
