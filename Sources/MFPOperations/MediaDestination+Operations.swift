import BridgeClient
import Foundation
import MFPKit
import MFPMedia

/// A stick as the operations use it: its errors as `BridgeError`s (exit statuses), what the
/// operator should know said through the events.
extension MediaDestination {
    /// Opens the stick (see ``MediaDestination/open(_:create:writable:media:mounts:)``). A folder
    /// named by the operator that is not on a stick is used as asked, and said so.
    public static func forOperation(
        _ name: String?, create: Bool, writable: Bool = false, events: OperationEvents
    ) throws(BridgeError) -> MediaDestination {
        let destination: MediaDestination
        do throws(MediaError) {
            destination = try MediaDestination.open(name, create: create, writable: writable)
        } catch {
            throw BridgeError(MediaTransfer.mediaStatus(error), error.description)
        }
        if destination.medium == nil {
            events(.notice("note: \(destination.root) is not on a USB stick (udev lists none there): using it as the folder asked for"))
        }
        return destination
    }

    /// Unmounts what this process mounted; returns what the operator may do with the stick now.
    public func finishOperation() throws(BridgeError) -> String {
        let mounted = mountedHere != nil
        do throws(MediaError) {
            try finish()
        } catch {
            throw BridgeError(.failure, error.description)
        }
        return mounted
            ? "The stick was mounted for this and is unmounted again: it is safe to remove."
            : "Run `mfpbridge media eject` before pulling the stick."
    }

    /// The backups on the stick, listed.
    public func listing() throws(BridgeError) -> MediaBackupCatalog.Listing {
        do throws(MediaError) {
            return try MediaBackupCatalog.list(folder)
        } catch {
            throw BridgeError(MediaTransfer.mediaStatus(error), error.description)
        }
    }

    /// A backup on the stick copied to this computer (the stick may leave afterwards).
    func fetch(_ backup: MediaBackupCatalog.Backup, workspace: Workspace, events: OperationEvents) throws(BridgeError) -> String {
        let local: String
        do {
            local = try MediaTransfer.incomingPath(workspace, name: backup.name)
        } catch {
            throw BridgeError(.failure, "cannot make the folder for copies from sticks: \(error)")
        }
        do throws(MediaError) {
            try MediaCopy.fetch(backup.name, from: folder, to: local) { done, total in
                events(.progress(label: "from stick", done: Int(done), total: Int(total)))
            }
        } catch {
            throw BridgeError(MediaTransfer.mediaStatus(error), "\(error); nothing was changed on the machine")
        }
        return local
    }
}

extension MediaTransfer {
    /// The backup of `kind` chosen on the stick `name` (`pick` by name, else the newest of the
    /// machine `target` addresses), copied to this computer; the stick released (unmounted again
    /// if this process mounted it). Returns the path of the copy.
    public static func take(
        _ kind: MediaBackupCatalog.Backup.Kind, from name: String?, pick: String?, target: DeviceTarget,
        context: OperationContext
    ) throws -> String {
        let destination = try MediaDestination.forOperation(name, create: false, events: context.events)
        // A failure leaves the stick as it was found (a mount made here undone); after finish() a no-op.
        defer { destination.abandon() }
        let listing = try destination.listing()
        let serial = pick == nil ? try serialNumber(of: target, context: context) : nil
        let backup = try MediaBackupCatalog.choose(listing, kind: kind, pick: pick, latestFor: serial)
        context.events(
            .notice(
                "Taking \(backup.name) (\(backup.model), \(backup.serialNumber), \(backup.createdAt.formatted(.iso8601))) from \(listing.folder)."
            ))
        let local = try destination.fetch(backup, workspace: context.workspace, events: context.events)
        _ = try destination.finishOperation()
        return local
    }

    /// What a backup file on this computer is, checked (R8), and how its copy on a stick is
    /// checked: the seal where it can be (box backups, bundles with their password), else the
    /// header, the length and the bytes against the file.
    public struct Checked: Sendable {
        public var origin: BundleOrigin
        /// When the backup was made: it names the copy, so the same backup put twice is refused.
        public var createdAt: Date
        public var box: Bool
        public var verify: @Sendable (String) throws -> Void
    }

    public static func check(_ file: String, password: String?) throws -> Checked {
        if BoxBackupFile.isBoxBackup(path: file) {
            let verified = try BoxBackupFile.verify(path: file).verified
            return Checked(origin: verified.origin, createdAt: verified.trailer.createdAt, box: true) {
                _ = try BoxBackupFile.verify(path: $0)
            }
        }
        let (header, length) = try BundleFile.readHeaderAndLength(path: file)
        let origin = BundleOrigin(
            model: header.model, series: header.series, firmware: header.firmware, language: header.displayLanguage,
            serialNumber: header.sourceSerialNumber)
        if !header.isPasswordProtected || password != nil {
            _ = try BundleFile.read(path: file, password: password)
            return Checked(origin: origin, createdAt: header.createdAt, box: false) {
                _ = try BundleFile.read(path: $0, password: password)
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? -1
        guard size == length else {
            throw BridgeError(.bundleRejected, "\(file): its length (\(size)) is not the \(length) bytes its header describes")
        }
        return Checked(origin: origin, createdAt: header.createdAt, box: false) { copy in
            guard FileManager.default.contentsEqual(atPath: copy, andPath: file) else {
                throw BridgeError(.bundleRejected, "the copy differs from \(file)")
            }
        }
    }
}
