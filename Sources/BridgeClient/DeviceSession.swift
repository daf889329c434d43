import BridgeLink
import BridgeWire
import Foundation
import Logging
import MFPKit

/// A conversation with one device: hello (version negotiation), login, requests.
///
/// Requests are answered by id; answers to older ids and damaged frames are skipped, and an
/// idempotent request is sent again when its answer was lost on a noisy line.
// @unchecked Sendable: a keepalive thread shares the session; every exchange on the link (a
// request and its answer, a whole stream) runs under `exchange`, and `nextID` and `device` change
// only inside it.
public final class DeviceSession: @unchecked Sendable {
    public let channel: FrameChannel
    public let logger: Logger
    private var nextID: UInt32 = 1
    /// Serializes exchanges between the caller and the keepalive thread.
    let exchange = NSRecursiveLock()
    public private(set) var device: (model: String, serialNumber: String, firmware: String, version: Int)?
    /// How long one try of a commit waits for its answer (six tries in all): a machine may take a
    /// while to verify and apply. Tests of a frozen machine shorten it.
    public var commitPatience: Duration = .seconds(20)
    /// Set when the last stream this session sent ended because the link itself failed: a check
    /// asked of the device afterwards on this link cannot reach it.
    var linkGone = false

    public init(link: any Link, logger: Logger) {
        self.channel = FrameChannel(link: link)
        self.logger = logger
    }

    public func close() { channel.close() }

    /// Sends `request` and waits for its answer; `attempts` > 1 only for requests safe to repeat.
    public func call(_ request: Request, timeout: Duration = .seconds(3), attempts: Int = 3) throws(BridgeError) -> Response {
        var sent = false
        return try call(request, timeout: timeout, attempts: attempts, sent: &sent)
    }

    /// `call`, telling in `sent` whether the request got onto the link at least once: a call that
    /// failed before any send never reached the machine, so its outcome is known (nothing happened).
    func call(_ request: Request, timeout: Duration, attempts: Int, sent: inout Bool) throws(BridgeError) -> Response {
        exchange.lock()
        defer { exchange.unlock() }
        // Every try of this call: a late answer to an earlier try is the answer to the same
        // request (a slow commit that failed must not be lost behind its retry).
        var tries: Set<UInt32> = [0]
        for attempt in 1...attempts {
            let id = nextID
            nextID &+= 1
            tries.insert(id)
            do {
                try channel.send(Frame(type: .request, id: id, payload: request.encoded()))
                sent = true
                let clock = ContinuousClock()
                let deadline = clock.now.advanced(by: timeout)
                while let frame = try channel.receive(timeout: clock.now.duration(to: deadline)) {
                    guard frame.type == .response, tries.contains(frame.id) else { continue }
                    do {
                        return try Response.decode(frame.payload)
                    } catch {
                        throw BridgeError(.failure, "the device sent an answer this bridge cannot read: \(error)")
                    }
                }
            } catch let error as LinkError {
                throw Self.linkFailure(error, during: request)
            } catch let error as BridgeError {
                throw error
            } catch {
                throw BridgeError(.failure, "\(error)")
            }
            logger.debug("no answer to \(request.op) (attempt \(attempt) of \(attempts))")
        }
        throw BridgeError(.unreachable, "the device did not answer (\(request.op)); \(noAnswerAdvice)")
    }

    /// What to check when the machine stops answering, for the kind of link in use.
    public var noAnswerAdvice: String {
        let address = channel.link.address
        if address.hasPrefix("serial:") {
            return "check the cable, the port and the baud rate (\(address)), and that the machine is on"
        }
        if address.hasPrefix("usb:") {
            return "check the USB cable and that the machine is on and awake"
        }
        if address.hasPrefix("unix:pair#") {
            return "the built-in emulator stopped answering; see its log with --verbose"
        }
        return "check that the program serving \(address) (an emulator, a relay) is still running"
    }

    /// A link lost on the first request (hello) left the device unreached (exit 3); lost on any
    /// later one, it cut short what the command was doing (exit 8: run it again once the device
    /// is back; what is durable is kept).
    static func linkFailure(_ error: LinkError, during request: Request) -> BridgeError {
        let reached: Bool
        if case .hello = request { reached = false } else { reached = true }
        switch error.code {
        case .vanished, .closed:
            return BridgeError(reached ? .interrupted : .unreachable, "lost the device: \(error.message)")
        default:
            return BridgeError(.unreachable, error.message)
        }
    }

    /// Opens the session: agrees on a protocol version.
    public func hello() throws(BridgeError) {
        // Patient: a device may still be finishing a stream for a host that died (it gives up
        // after 5 s of silence) when the next host says hello to resume.
        let response = try call(
            .hello(
                minVersion: ProtocolVersion.minimum, maxVersion: ProtocolVersion.maximum,
                software: "mfpbridge"), attempts: 6)
        switch response {
        case let .hello(version, model, serialNumber, firmware):
            device = (model, serialNumber, firmware, version)
        case let .failure(failure) where failure.code == .unsupportedVersion:
            throw BridgeError(.failure, "the device does not speak this bridge's protocol: \(failure.message); update mfpbridge")
        default:
            throw Self.unexpected(response, to: "hello")
        }
    }

    /// R1: challenge-response login; the password never crosses the link.
    public func login(user: String, password: String) throws(BridgeError) {
        let challenge = try call(.loginChallenge(user: user))
        guard case let .challenge(saltHex, nonceHex) = challenge,
            let salt = [UInt8](hexString: saltHex), let nonce = [UInt8](hexString: nonceHex)
        else {
            throw Self.unexpected(challenge, to: "login-challenge")
        }
        let proof = LoginProof.proof(password: password, salt: salt, nonce: nonce)
        // Not repeated: a lost answer would count as a second failed attempt on the device.
        let response = try call(.login(user: user, proof: proof.hexString), timeout: .seconds(5), attempts: 1)
        switch response {
        case .loggedIn:
            return
        case let .failure(failure):
            throw Self.failure(failure)
        default:
            throw Self.unexpected(response, to: "login")
        }
    }

    public func status() throws(BridgeError) -> DeviceStatus {
        let response = try call(.status)
        switch response {
        case let .status(status): return status
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(response, to: "status")
        }
    }

    public func capabilities() throws(BridgeError) -> DeviceCapabilities {
        let response = try call(.capabilities)
        switch response {
        case let .capabilities(capabilities): return capabilities
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(response, to: "capabilities")
        }
    }

    /// Maps a device refusal to the exit status its rule calls for.
    public static func failure(_ failure: DeviceFailure) -> BridgeError {
        let status: ExitStatus =
            switch failure.code {
            case .authenticationRequired, .authenticationFailed, .lockedOut, .notAdministrator: .authentication
            case .refused, .busy, .notReserved: .refusedByDeviceState
            case .incompatible: .incompatible
            case .incomplete: .interrupted
            case .unsupportedVersion, .badRequest: .failure
            // The device found the file's seal broken (a box backup's trailer): as the host would (R8).
            case .damaged: failure.rule == .r8 ? .bundleRejected : .failure
            }
        let prefix = failure.rule.map { "\($0.rawValue): " } ?? ""
        return BridgeError(status, prefix + failure.message, blockers: failure.blockers)
    }

    static func unexpected(_ response: Response, to op: String) -> BridgeError {
        if case let .failure(refusal) = response { return Self.failure(refusal) }
        return BridgeError(.failure, "the device answered \(op) unexpectedly")
    }
}

/// The wire protocol as a source of machine state for the R5 preflight.
extension DeviceSession: DeviceStateSource {
    public func currentStatus() throws -> DeviceStatus { try status() }
}
