import BridgeSystem
import Foundation
import Glibc // the MS_* constants only; the calls go through BridgeSystem
import MFPKit

/// Where backups go on a stick, and back: the folder `mfpbridge` at the root of the stick's file
/// system, opened once (`MediaFolder`). A stick is named by its label or device, or not at all
/// when only one is plugged in; a PATH names any mounted folder, removable or not (the operator
/// chose it). A stick that is not mounted is mounted by root under `/run/mfpbridge/media` and
/// unmounted again by ``finish()``: it is left as it was found.
public final class MediaDestination: @unchecked Sendable {
    /// The folder on every stick that holds its backups.
    public static let folderName = "mfpbridge"

    public let root: String
    /// The stick, when the destination is one (nil for a PATH not on a USB medium).
    public let medium: RemovableMedium?
    /// The backups folder, opened.
    public let folder: MediaFolder
    /// Set when this process mounted the stick: ``finish()`` unmounts it.
    public private(set) var mountedHere: String?

    init(root: String, medium: RemovableMedium?, folder: MediaFolder, mountedHere: String?) {
        self.root = root
        self.medium = medium
        self.folder = folder
        self.mountedHere = mountedHere
    }

    /// Whether `name` is a path rather than a label or device name.
    public static func isPath(_ name: String) -> Bool {
        name.hasPrefix("/") ? !name.hasPrefix("/dev/") : name.contains("/") || name == "." || name == ".."
    }

    /// Resolves `name` (label, device, path, or nil for the one stick). `create` makes the
    /// backups folder when it is missing (for writing); reading a stick without it finds no backups.
    /// A stick mounted here is mounted read-only unless `writable` (which `create` implies).
    public static func open(
        _ name: String?, create: Bool, writable: Bool = false, media: [RemovableMedium] = MediaScanner.scan(),
        mounts: MountTable = MediaScanner.currentMounts()
    ) throws(MediaError) -> MediaDestination {
        if let name, isPath(name) {
            let root = MediaFolder.absolute(name)
            let folder = try MediaFolder(opening: root).subfolder(folderName, create: create)
            // The stick under the folder, by the file system's device number (nil: not a stick).
            let medium = media.first { $0.deviceNumber == folder.blockDevice }
            return MediaDestination(root: root, medium: medium, folder: folder, mountedHere: nil)
        }
        let withFiles = media.filter { $0.fileSystem != nil }
        guard !withFiles.isEmpty else {
            throw MediaError(
                .notFound, path: name ?? "USB",
                detail:
                    media.isEmpty
                    ? "no USB stick is plugged in: plug one in (`mfpbridge media` lists what is seen)"
                    : "no file system on the USB media present (\(media.map(\.devnode).joined(separator: ", "))): format the stick FAT32 or exFAT"
            )
        }
        let medium: RemovableMedium
        do throws(MediaSelection.Failure) {
            medium = try MediaSelection.choose(name, among: withFiles, wholeDisks: false)
        } catch {
            throw MediaError(error.ambiguous ? .ambiguous : .notFound, path: name ?? "USB", detail: error.description)
        }
        if medium.writeProtected && create {
            throw MediaError(
                .readOnly, path: medium.devnode, detail: "the stick's write-protect switch is on (its block device is read-only)")
        }
        if let point = medium.mountPoints.first {
            if medium.mountedReadOnly && create {
                throw MediaError(.readOnly, path: point, detail: "it is mounted read-only")
            }
            let folder = try MediaFolder(opening: point).subfolder(folderName, create: create)
            return MediaDestination(root: point, medium: medium, folder: folder, mountedHere: nil)
        }
        let point = try mount(medium, readOnly: !(create || writable))
        do throws(MediaError) {
            let folder = try MediaFolder(opening: point).subfolder(folderName, create: create)
            return MediaDestination(root: point, medium: medium, folder: folder, mountedHere: point)
        } catch {
            _ = try? Syscall.unmount(point)
            _ = try? Syscall.rmdir(point)
            throw error
        }
    }

    /// Unmounts the stick if this process mounted it (synced first; never lazily). The folder is
    /// closed: the destination is done with.
    public func finish() throws(MediaError) {
        guard let point = mountedHere else {
            folder.close()
            return
        }
        do throws(SystemError) {
            try Syscall.syncFileSystem(descriptor: folder.descriptor)
        } catch {
            throw folder.classify(error, doing: "sync", name: ".")
        }
        folder.close()
        do throws(SystemError) {
            try Syscall.unmount(point)
            _ = try? Syscall.rmdir(point)
            mountedHere = nil
        } catch {
            throw MediaError(
                .other, path: point,
                detail: "cannot unmount the stick mounted here (\(error.symbol)): run `mfpbridge media eject` before pulling it")
        }
    }

    /// After a failure: the folder closed and, if this process mounted the stick, its mount
    /// undone: unmounted if it can be, detached if the stick is gone (nothing is left to write).
    public func abandon() {
        let present = folder.mediumPresent
        folder.close()
        guard let point = mountedHere else { return }
        if (try? Syscall.unmount(point)) != nil || (!present && (try? Syscall.detachMount(point)) != nil) {
            _ = try? Syscall.rmdir(point)
            mountedHere = nil
        }
    }

    /// Where root mounts sticks it found unmounted.
    static let mountBase = "/run/mfpbridge/media"

    private static func mount(_ medium: RemovableMedium, readOnly: Bool) throws(MediaError) -> String {
        guard Syscall.effectiveUserID == 0 else {
            throw MediaError(
                .notMounted, path: medium.devnode,
                detail:
                    "the stick is not mounted: open it in the file manager (or `udisksctl mount -b \(medium.devnode)`), or run as root to have mfpbridge mount it"
            )
        }
        let name = fileNameSafe(medium.label ?? (medium.devnode as NSString).lastPathComponent)
        let point = "\(mountBase)/\(name)"
        do throws(SystemError) {
            for folder in ["/run/mfpbridge", mountBase, point] where !Syscall.exists(folder) {
                try Syscall.mkdir(folder, mode: 0o755)
            }
            let flags = UInt(MS_NOSUID) | UInt(MS_NODEV) | UInt(MS_NOEXEC) | (readOnly ? UInt(MS_RDONLY) : 0)
            try Syscall.mount(medium.devnode, on: point, type: medium.fileSystem ?? "auto", flags: flags, options: "")
        } catch {
            _ = try? Syscall.rmdir(point)
            throw MediaError.classify(error, doing: "mount \(medium.devnode)", at: point, blockDevice: nil)
        }
        return point
    }
}

extension MediaFolder {
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }
}
