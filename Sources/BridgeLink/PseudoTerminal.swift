import BridgeSystem
import BridgeWire
import Glibc // termios and O_* constants only; the calls go through BridgeSystem

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
        var settings = termios()
        SerialLink.applyRaw8N1(&settings)
        _ = try? Syscall.cfsetspeed(&settings, speed_t(B115200))
        let ends: (master: Int32, slave: Int32, path: String)
        do throws(SystemError) {
            ends = try Syscall.openpty(settings: settings)
        } catch {
            throw LinkError(
                code: error.errno == EACCES || error.errno == EPERM ? .permissionDenied : .io,
                message: "cannot create a pseudo-terminal: is /dev/pts mounted and /dev/ptmx accessible?",
                errno: error.errno)
        }
        let master = FileDescriptor(takingOwnershipOf: ends.master)
        let slave = FileDescriptor(takingOwnershipOf: ends.slave)
        do throws(SystemError) {
            for fd in [master.raw, slave.raw] {
                try Syscall.setCloseOnExec(fd)
                try Syscall.setFlags(fd, try Syscall.getFlags(fd) | O_NONBLOCK)
            }
            // openpty applied the settings; check they took, as for any serial port.
            let actual = try Syscall.tcgetattr(slave.raw)
            if actual.c_lflag & tcflag_t(ICANON | ECHO | ISIG) != 0 || actual.c_oflag & tcflag_t(OPOST) != 0 {
                throw SystemError(call: "openpty (raw mode did not take)", errno: EINVAL)
            }
        } catch {
            throw LinkError(code: .io, message: "cannot configure the pseudo-terminal \(ends.path) (\(error.call))", errno: error.errno)
        }
        let descriptor = try LinkDescriptor(master, kind: .terminal, address: "pty:\(ends.path)", companions: [slave.take()])
        return PseudoTerminal(slavePath: ends.path, descriptor: descriptor)
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
