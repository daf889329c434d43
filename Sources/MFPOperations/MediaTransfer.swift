import BridgeClient
import BridgeSystem
import BridgeTransfer
import Foundation
import MFPKit
import MFPMedia

/// Backups to and from sticks, around the usual operations. Going out, the backup is made on this
/// computer first (`outgoingPath`: the stream's checkpoints stay on a file system that keeps its
/// promises, and the same command again resumes it), then put on the stick by `PowerSafeWriter`
/// and the local copy removed once the stick's copy read back verified. Coming in, the chosen
/// backup is copied off the stick first (`incomingPath`), so the stick may be pulled while the
/// machine is written.
public enum MediaTransfer {
    /// The local file a `--to-media` run writes first: one per machine address and kind.
    public static func outgoingPath(_ workspace: Workspace, address: String, box: Bool) throws -> String {
        let folder = workspace.dataDirectory + "/media/outgoing"
        try DurableFile.makeDirectory(folder)
        return "\(folder)/\(fileNameSafe(address)).\(box ? MediaBackupName.boxExtension : MediaBackupName.settingsExtension)"
    }

    public static func incomingPath(_ workspace: Workspace, name: String) throws -> String {
        let folder = workspace.dataDirectory + "/media/incoming"
        try DurableFile.makeDirectory(folder)
        return "\(folder)/\(name)"
    }

    /// Puts the finished local backup `local` on the stick under its machine's name and `date`,
    /// checks the copy read back from the stick with `verify`, then removes `local` unless
    /// `keepingLocal` (it is kept when anything failed: the message says where it is).
    public static func publish(
        _ local: String, origin: BundleOrigin, box: Bool, at date: Date = Date(), keepingLocal: Bool = false,
        to destination: MediaDestination, verify: (String) throws -> Void, events: OperationEvents
    ) throws(BridgeError) -> PowerSafeWriter.Written {
        let name = MediaBackupName.make(origin: origin, box: box, at: date)
        let written: PowerSafeWriter.Written
        do throws(MediaError) {
            written = try PowerSafeWriter.write(local, into: destination.folder, as: name, verify: verify) { stage, done, total in
                switch stage {
                case .writing: events(.progress(label: "to stick", done: Int(done), total: Int(total)))
                case .readingBack: events(.notice("Reading the copy back from the stick to check its seal..."))
                default: break
                }
            }
        } catch {
            throw BridgeError(
                mediaStatus(error),
                "\(error). The backup itself is complete on this computer: \(local) (`mfpbridge media put \(local)` puts it on a stick)")
        }
        if !keepingLocal { _ = try? Syscall.removeIfPresent(local) }
        return written
    }

    /// The exit status of a media error: no stick 3, a name that names none or several 2, else 1.
    public static func mediaStatus(_ error: MediaError) -> ExitStatus {
        switch error.kind {
        case .notFound: .unreachable
        case .ambiguous: .usage
        default: .failure
        }
    }
}

extension MediaTransfer {
    /// The serial number of the machine `target` addresses (hello and login, nothing else): what
    /// `--latest` looks for on a stick.
    public static func serialNumber(of target: DeviceTarget, context: OperationContext) throws -> String {
        let connection = try DeviceConnection.open(target, password: context.password, workspace: context.workspace, logger: context.logger)
        defer { connection.close() }
        guard let serial = connection.session.device?.serialNumber else {
            throw BridgeError(.unreachable, "\(target.address) did not say its serial number")
        }
        return serial
    }
}

extension OperationContext {
    /// The same context, asking its password source once however often the machine is opened.
    public func askingPasswordOnce() -> OperationContext {
        let remembered = RememberedPassword(password)
        var copy = self
        copy.password = { try remembered.get($0) }
        return copy
    }
}

private final class RememberedPassword: @unchecked Sendable {
    private let source: PasswordSource
    private let lock = NSLock()
    private var value: String?

    init(_ source: @escaping PasswordSource) { self.source = source }

    func get(_ target: DeviceTarget) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let value { return value }
        let read = try source(target)
        value = read
        return read
    }
}
