import BridgeSystem
import BridgeWire
import Glibc // errno constants only; the calls go through BridgeSystem

/// A bidirectional byte pipe to a device.
///
/// `send` and `receive` may be called from two different threads at once (one sender, one
/// receiver); concurrent senders are serialized so their byte runs never interleave.
/// `close()` may be called from any thread, any number of times: the first call closes the link
/// and wakes a blocked `send` or `receive`, which then throw ``LinkError/Code/closed``.
public protocol Link: AnyObject, Sendable {
    /// Where the link goes, e.g. `serial:/dev/pts/3@115200` or `unix:/run/x.sock`.
    var address: String { get }
    /// How frames travel on this link: `.cobs` for serial lines and ptys, `.raw` for sockets.
    var framing: Framing { get }
    /// Writes all of `bytes`. When the device stops reading, waits for room; if no byte can be
    /// written for 10 seconds, throws ``LinkError/Code/timeout``.
    func send(_ bytes: [UInt8]) throws(LinkError)
    /// Waits up to `timeout` for data and returns what is there (at most `maxBytes`), or `[]` when
    /// nothing arrived in time. Blocks in `poll`, never spins.
    func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8]
    /// Closes the link. Idempotent; wakes a blocked `send` or `receive` at once.
    func close()
}

/// What went wrong on a link: a code to branch on, a message for people (what happened and what
/// to do about it), and the errno behind it when there is one.
public struct LinkError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound, permissionDenied, busy, vanished, closed, timeout, invalidAddress,
            unsupportedBaudRate, notATerminal, io
        /// A device is there but not on the allow-list: it was not opened.
        case notAllowed
        /// The address names more than one device.
        case ambiguous
    }

    public var code: Code
    public var message: String
    public var errno: Int32?

    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        guard let errno else { return "\(code.rawValue): \(message)" }
        return "\(code.rawValue): \(message) (errno \(errno): \(SystemError.reason(errno)))"
    }
}

extension LinkError {
    static func closedByUs(_ address: String) -> LinkError {
        LinkError(code: .closed, message: "the link \(address) was closed by this program")
    }

    static func vanished(_ address: String, errno: Int32? = nil) -> LinkError {
        LinkError(
            code: .vanished,
            message: "the device went away (unplugged or powered off) on \(address): reconnect it and retry",
            errno: errno)
    }

    static func peerClosed(_ address: String, errno: Int32? = nil) -> LinkError {
        LinkError(code: .closed, message: "the peer closed the connection on \(address)", errno: errno)
    }

    /// The default translation of a failed system call on `path`; call sites catch the cases
    /// whose meaning depends on the call before they get here.
    init(_ failure: SystemError, path: String) {
        let e = failure.errno
        switch e {
        case ENOENT:
            self.init(
                code: .notFound,
                message: "no such port \(path): is the cable plugged in? `mfpbridge devices` lists ports",
                errno: e)
        case ENXIO, ENODEV:
            self.init(
                code: .notFound,
                message: "no device answers at \(path): is it plugged in and powered on? `mfpbridge devices` lists ports",
                errno: e)
        case EACCES, EPERM:
            self.init(
                code: .permissionDenied,
                message: "permission denied on \(path): add your user to the dialout group "
                    + "(sudo usermod -aG dialout $USER, then log in again) or install a udev rule that grants access",
                errno: e)
        case EBUSY, EWOULDBLOCK:
            self.init(
                code: .busy,
                message:
                    "\(path): port is in use by another program (a terminal program, ModemManager, another mfpbridge): close it and retry",
                errno: e)
        case ENOTTY:
            self.init(
                code: .notATerminal,
                message: "\(path) is not a terminal (serial port): check the path; `mfpbridge devices` lists ports",
                errno: e)
        default:
            self.init(code: .io, message: "\(failure.call) on \(path) failed", errno: e)
        }
    }
}
