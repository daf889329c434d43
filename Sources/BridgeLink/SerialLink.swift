import BridgeSystem
import BridgeWire
import Glibc // termios and O_* constants only; the calls go through BridgeSystem

/// A serial port (or a pty slave) in raw 8N1 mode: 8 data bits, no parity, one stop bit, no
/// hardware or software flow control, no echo, no line editing, no signals, no CR/LF translation.
///
/// The port is opened for exclusive use: `flock` (other well-behaved programs see it busy) plus,
/// on a real serial port, `TIOCEXCL` (the kernel refuses further opens by unprivileged programs);
/// `close()` clears `TIOCEXCL` again, and the kernel clears it when the last descriptor of the port
/// closes (a killed bridge). Not on a pseudo-terminal: its other side (an emulator) keeps the
/// slave open, so the flag of a killed bridge would lock every later unprivileged bridge out;
/// there `flock`, which the kernel drops with the process, is the guard.
public final class SerialLink: Link {
    /// The rates Linux defines B-constants for (B50 ... B4000000).
    public static let standardBaudRates: [Int] = baudConstants.map(\.rate)

    public let address: String
    public var framing: Framing { .cobs }
    public let path: String
    public let baudRate: Int
    let descriptor: LinkDescriptor

    private init(path: String, baudRate: Int, descriptor: LinkDescriptor) {
        self.path = path
        self.baudRate = baudRate
        self.address = descriptor.address
        self.descriptor = descriptor
    }

    /// Opens `path` at `baudRate` in raw 8N1 mode.
    ///
    /// Throws `.notFound` (no such port), `.permissionDenied` (not in the dialout group),
    /// `.busy` (another program has it), `.notATerminal` (not a serial port),
    /// `.unsupportedBaudRate` (not one of ``standardBaudRates``), `.io` (the driver refused the
    /// settings).
    public static func open(path: String, baudRate: Int = 115200) throws(LinkError) -> SerialLink {
        let speed = try speedConstant(for: baudRate)
        let address = "serial:\(path)@\(baudRate)"
        let fd: FileDescriptor
        do throws(SystemError) {
            fd = FileDescriptor(takingOwnershipOf: try Syscall.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC))
        } catch {
            if error.errno == ENOTDIR { // "/dev/ttyS0/x": no such port either
                throw LinkError(SystemError(call: error.call, errno: ENOENT), path: path)
            }
            if error.errno == EISDIR { // O_RDWR on a folder
                throw LinkError(
                    code: .notATerminal,
                    message: "\(path) is a folder, not a serial port: give the port's device file; `mfpbridge devices` lists ports",
                    errno: EISDIR)
            }
            throw LinkError(error, path: path)
        }
        // A regular file or a directory opens fine but is not a port: say so before locking it.
        let pseudoTerminal: Bool
        do throws(SystemError) {
            let info = try Syscall.fstat(fd.raw)
            if info.st_mode & S_IFMT != S_IFCHR {
                throw SystemError(call: "open", errno: ENOTTY)
            }
            pseudoTerminal = isPseudoTerminalSlave(info.st_rdev)
        } catch {
            throw LinkError(error, path: path)
        }
        do throws(SystemError) {
            try Syscall.flock(fd.raw, LOCK_EX | LOCK_NB)
        } catch {
            throw LinkError(error, path: path) // EWOULDBLOCK -> .busy
        }
        if !pseudoTerminal {
            do throws(SystemError) {
                try Syscall.setExclusive(fd.raw)
            } catch {
                throw LinkError(error, path: path) // ENOTTY -> .notATerminal
            }
        }
        try configureRaw(fd.raw, speed: speed, baudRate: baudRate, path: path)
        let descriptor = try LinkDescriptor(fd, kind: .terminal, address: address) { fd in
            // Without this the next unprivileged open of a pty slave (whose tty lives on) gets EBUSY.
            try? Syscall.clearExclusive(fd)
        }
        return SerialLink(path: path, baudRate: baudRate, descriptor: descriptor)
    }

    /// Unix 98 pseudo-terminal slaves (`/dev/pts/N`) have major numbers 136 to 143.
    static func isPseudoTerminalSlave(_ device: dev_t) -> Bool {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        return (136...143).contains(major)
    }

    public func send(_ bytes: [UInt8]) throws(LinkError) {
        try descriptor.send(bytes)
    }

    public func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        try descriptor.receive(maxBytes: maxBytes, timeout: timeout)
    }

    public func close() {
        descriptor.close()
    }

    /// The input and output rates the driver reports now (read back with tcgetattr).
    func currentBaudRates() throws(LinkError) -> (input: Int, output: Int) {
        try descriptor.withDescriptor { (fd) throws(LinkError) -> (input: Int, output: Int) in
            let settings: termios
            do throws(SystemError) { settings = try Syscall.tcgetattr(fd) } catch { throw LinkError(error, path: path) }
            var copy = settings
            return (Self.rate(for: cfgetispeed(&copy)) ?? -1, Self.rate(for: cfgetospeed(&copy)) ?? -1)
        }
    }

    // MARK: termios

    private static let baudConstants: [(rate: Int, speed: speed_t)] = [
        (50, speed_t(B50)), (75, speed_t(B75)), (110, speed_t(B110)), (134, speed_t(B134)),
        (150, speed_t(B150)), (200, speed_t(B200)), (300, speed_t(B300)), (600, speed_t(B600)),
        (1200, speed_t(B1200)), (1800, speed_t(B1800)), (2400, speed_t(B2400)), (4800, speed_t(B4800)),
        (9600, speed_t(B9600)), (19200, speed_t(B19200)), (38400, speed_t(B38400)),
        (57600, speed_t(B57600)), (115200, speed_t(B115200)), (230400, speed_t(B230400)),
        (460800, speed_t(B460800)), (500000, speed_t(B500000)), (576000, speed_t(B576000)),
        (921600, speed_t(B921600)), (1_000_000, speed_t(B1000000)), (1_152_000, speed_t(B1152000)),
        (1_500_000, speed_t(B1500000)), (2_000_000, speed_t(B2000000)), (2_500_000, speed_t(B2500000)),
        (3_000_000, speed_t(B3000000)), (3_500_000, speed_t(B3500000)), (4_000_000, speed_t(B4000000)),
    ]

    static func speedConstant(for rate: Int) throws(LinkError) -> speed_t {
        guard let match = baudConstants.first(where: { $0.rate == rate }) else {
            throw LinkError(
                code: .unsupportedBaudRate,
                message: "\(rate) baud is not a standard rate; use one of "
                    + standardBaudRates.map(String.init).joined(separator: ", "))
        }
        return match.speed
    }

    static func rate(for speed: speed_t) -> Int? {
        baudConstants.first { $0.speed == speed }?.rate
    }

    private static func configureRaw(_ fd: Int32, speed: speed_t, baudRate: Int, path: String) throws(LinkError) {
        var settings: termios
        var actual: termios
        do throws(SystemError) {
            settings = try Syscall.tcgetattr(fd) // ENOTTY -> .notATerminal
            applyRaw8N1(&settings)
            try Syscall.cfsetspeed(&settings, speed)
            try Syscall.tcsetattr(fd, settings)
            // tcsetattr succeeds if *any* change took: read back and check every one.
            actual = try Syscall.tcgetattr(fd)
        } catch {
            throw LinkError(error, path: path)
        }
        let problems = differences(wanted: settings, actual: &actual, speed: speed)
        if !problems.isEmpty {
            throw LinkError(
                code: .io,
                message: "the driver of \(path) did not accept raw 8N1 at \(baudRate) baud ("
                    + problems.joined(separator: ", ") + "): try another rate or another adapter")
        }
        do throws(SystemError) {
            try Syscall.tcflush(fd, TCIOFLUSH)
        } catch {
            throw LinkError(error, path: path)
        }
    }

    /// Raw 8N1, no flow control, reads return whatever is there (VMIN=0, VTIME=0).
    static func applyRaw8N1(_ settings: inout termios) {
        Syscall.makeRaw(&settings)
        settings.c_cflag &= ~tcflag_t(CSIZE | PARENB | CSTOPB)
        settings.c_cflag &= ~tcflag_t(CRTSCTS)
        settings.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
    }

    private static func differences(wanted: termios, actual: inout termios, speed: speed_t) -> [String] {
        var problems: [String] = []
        let cflagMask = tcflag_t(CSIZE | PARENB | CSTOPB | CLOCAL | CREAD) | tcflag_t(CRTSCTS)
        if actual.c_cflag & cflagMask != wanted.c_cflag & cflagMask { problems.append("character format or flow control") }
        let lflagMask = tcflag_t(ICANON | ECHO | ECHONL | ISIG | IEXTEN)
        if actual.c_lflag & lflagMask != 0 { problems.append("line editing, echo or signals still on") }
        let iflagMask = tcflag_t(IXON | IXOFF | IXANY | ICRNL | INLCR | IGNCR | ISTRIP | BRKINT | PARMRK)
        if actual.c_iflag & iflagMask != 0 { problems.append("input translation or software flow control still on") }
        if actual.c_oflag & tcflag_t(OPOST) != 0 { problems.append("output processing still on") }
        let (vmin, vtime) = withUnsafeBytes(of: &actual.c_cc) { ($0[Int(VMIN)], $0[Int(VTIME)]) }
        if vmin != 0 || vtime != 0 { problems.append("VMIN/VTIME") }
        let output = cfgetospeed(&actual)
        let input = cfgetispeed(&actual)
        if output != speed { problems.append("output rate \(rate(for: output).map(String.init) ?? "unknown")") }
        // Linux reports input speed 0 when it follows the output speed.
        if input != speed && input != 0 { problems.append("input rate \(rate(for: input).map(String.init) ?? "unknown")") }
        return problems
    }
}
