import BridgeSystem
import Foundation
import Synchronization

/// How the machine is attached to its host, where the attachment can be pulled and plugged back
/// in: a USB cable (the usbredir device, `emulate --usbredir`). Serial lines and sockets have none.
public protocol DeviceAttachment: Sendable {
    /// A short name for messages ("USB over usbredir at unix:/run/redir.sock").
    var attachmentDescription: String { get }
    /// Pulls the cable: the host sees the device leave; the machine stays on.
    func unplug() throws(EmulatorError)
    /// Plugs it back in: the host enumerates the same machine again.
    func replug() throws(EmulatorError)
}

/// The attachment a transport registered, if any (one per machine).
final class AttachmentSlot: Sendable {
    let current = Mutex<(any DeviceAttachment)?>(nil)
}

extension VirtualMFP {
    /// Registers the transport that can unplug and replug the machine (`emulate-ctl unplug`).
    public func attach(_ attachment: any DeviceAttachment) {
        attachmentSlot.current.withLock { $0 = attachment }
    }

    /// Carries out `unplug`, `replug` and `power-cut`, which act on the machine's attachment and
    /// power rather than its state.
    func applyPhysical(_ command: ControlCommand) throws -> String {
        switch command {
        case .unplug, .replug:
            guard let attachment = attachmentSlot.current.withLock({ $0 }) else {
                throw EmulatorError(
                    "this machine has no cable to pull: unplug and replug need a USB attachment (mfpbridge emulate --usbredir ADDRESS)"
                )
            }
            if command == .unplug { try attachment.unplug() } else { try attachment.replug() }
            return "ok"
        default:
            logger.notice("power cut (fault injection): the machine goes dark now, saving nothing")
            // The answer goes out first; then the process ends as a machine without power does.
            Thread {
                Thread.sleep(forTimeInterval: 0.05)
                Syscall.exitImmediately(0)
            }.start()
            return "ok: power cut; start the emulator again with the same --state to power it back on"
        }
    }
}
