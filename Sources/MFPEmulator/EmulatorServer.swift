import BridgeLink
import BridgeWire
import Logging
import MFPKit
import Synchronization

/// Serves the virtual machine's wire protocol on one link until the link ends or `stop()`.
public final class EmulatorServer: Sendable {
    let device: VirtualMFP
    let channel: FrameChannel
    let logger: Logger
    private let stopped = Atomic<Bool>(false)

    public init(device: VirtualMFP, link: any Link, logger: Logger) {
        self.device = device
        self.channel = FrameChannel(link: PacedLink(FaultyLink(link, device: device), device: device))
        self.logger = logger
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// Blocks, answering requests. Returns when the host goes away or `stop()` is called.
    public func run() {
        var session = VirtualMFP.Session()
        defer { device.endSession(session) }
        while !stopped.load(ordering: .relaxed) {
            let event: DecodeEvent?
            do {
                event = try channel.receiveEvent(timeout: .milliseconds(250))
            } catch {
                logger.info("host link ended: \(error)")
                return
            }
            switch event {
            case nil:
                continue
            case let .damaged(damage):
                if case let .unsupportedVersion(version) = damage {
                    answer(
                        .failure(
                            DeviceFailure(
                                code: .unsupportedVersion,
                                message:
                                    "frame version \(version) is not spoken here; this device speaks \(ProtocolVersion.minimum)-\(ProtocolVersion.maximum)"
                            )),
                        to: 0)
                }
                logger.debug("discarded a damaged frame: \(damage)")
            case let .frame(frame):
                guard frame.type == .request else {
                    logger.debug("ignored a \(frame.type) frame")
                    continue
                }
                if device.isFrozen {
                    logger.info("a request goes unanswered: the machine is frozen (fault injection)")
                    continue
                }
                let response: Response
                var op = ""
                do {
                    let request = try Request.decode(frame.payload)
                    op = request.op
                    logger.debug("request \(request.op)")
                    response = device.handle(request, session: &session)
                } catch {
                    response = .failure(DeviceFailure(code: .badRequest, message: error.description))
                }
                if device.takeFreeze(op) {
                    logger.info("the machine froze after \(op) (fault injection)")
                } else if device.takeLostAnswer(op) {
                    logger.info("the answer to \(op) is lost on the line (fault injection)")
                } else {
                    answer(response, to: frame.id)
                }
                if let settings = session.pendingSettings {
                    session.pendingSettings = nil
                    device.runSettingsStream(settings, channel: channel)
                }
                if let box = session.pendingBox {
                    session.pendingBox = nil
                    device.runBoxStream(box, channel: channel)
                }
            }
        }
    }

    private func answer(_ response: Response, to id: UInt32) {
        do {
            let noise = device.takeNoise()
            if !noise.isEmpty { try channel.link.send(noise) }
            try channel.send(Frame(type: .response, id: id, payload: response.encoded()))
        } catch {
            logger.info("could not answer the host: \(error)")
        }
    }
}
