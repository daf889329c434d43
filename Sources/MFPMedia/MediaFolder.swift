import BridgeSystem
import Foundation
import Glibc // stat, the O_* and S_* constants only; the calls go through BridgeSystem

/// A folder on a medium, opened once: every later step (create, rename, list, remove, sync) is made
/// against this descriptor, never by path, so a lazy unmount or another stick mounted on the same
/// path cannot redirect a write. ``checkStillThere()`` says whether the medium is still the one
/// opened.
public final class MediaFolder: @unchecked Sendable {
    /// The path it was opened by (for messages; never used to reach it again).
    public let path: String
    public private(set) var descriptor: Int32
    /// `st_dev` of the folder when it was opened.
    public let device: UInt64
    public let inode: UInt64

    /// Opens `path`, which must be a folder; `shownAs` is the path messages give.
    public init(opening path: String, shownAs: String? = nil) throws(MediaError) {
        do throws(SystemError) {
            let fd = try Syscall.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            let info: stat
            do throws(SystemError) {
                info = try Syscall.fstat(fd, path: path)
            } catch {
                Syscall.close(fd)
                throw error
            }
            self.path = shownAs ?? path
            descriptor = fd
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        } catch {
            throw MediaError.classify(error, doing: "open the folder", at: shownAs ?? path, blockDevice: nil)
        }
    }

    deinit { close() }

    /// Closes the folder (an open folder keeps its file system busy: unmounting needs it closed).
    public func close() {
        guard descriptor >= 0 else { return }
        Syscall.close(descriptor)
        descriptor = -1
    }

    /// Opens (creating it if needed) the subfolder `name`.
    public func subfolder(_ name: String, create: Bool) throws(MediaError) -> MediaFolder {
        if create {
            do throws(SystemError) {
                try Syscall.mkdirAt(descriptor, name, mode: 0o755)
            } catch  where error.errno == EEXIST {
                // there already
            } catch {
                throw classify(error, doing: "create the folder", name: name)
            }
        }
        return try MediaFolder(opening: procPath(name), shownAs: "\(path)/\(name)")
    }

    /// `major:minor` of the block device holding the folder, when it is one (FUSE and other
    /// virtual file systems have major 0 and no block device).
    public var blockDevice: String? {
        // glibc's encoding of dev_t (gnu_dev_major/minor are macros Swift does not see).
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        return major == 0 ? nil : "\(major):\(minor)"
    }

    /// False once the block device under the folder has left the kernel (`/sys/dev/block/M:m`).
    public var mediumPresent: Bool {
        guard let blockDevice else { return true }
        return Syscall.exists("/sys/dev/block/\(blockDevice)")
    }

    /// Throws `.removed` when the medium left, or the folder now sits on another file system.
    public func checkStillThere() throws(MediaError) {
        guard mediumPresent else { throw MediaError(.removed, path: path, detail: "its block device \(blockDevice ?? "") is gone") }
        let now: stat
        do throws(SystemError) {
            now = try Syscall.fstat(descriptor, path: path)
        } catch {
            throw classify(error, doing: "check the folder", name: ".")
        }
        guard UInt64(now.st_dev) == device, UInt64(now.st_ino) == inode else {
            throw MediaError(.removed, path: path, detail: "the folder is no longer the one opened")
        }
    }

    /// Free bytes for an unprivileged writer (statvfs `f_bavail`); nil when the file system does
    /// not say (no blocks at all: some FUSE file systems), so that only a write can tell.
    public func freeBytes() throws(MediaError) -> UInt64? {
        do throws(SystemError) {
            let space = try Syscall.fstatvfs(descriptor)
            guard space.f_blocks > 0 else { return nil }
            return UInt64(space.f_bavail) * UInt64(space.f_frsize)
        } catch {
            throw classify(error, doing: "read the free space of", name: ".")
        }
    }

    /// Whether the file system is mounted read-only (statvfs `ST_RDONLY`).
    public var isReadOnly: Bool {
        guard let space = try? Syscall.fstatvfs(descriptor) else { return false }
        return space.f_flag & UInt(ST_RDONLY) != 0
    }

    /// Regular files and their sizes, by name.
    public func files() throws(MediaError) -> [(name: String, size: UInt64)] {
        do throws(SystemError) {
            var found: [(name: String, size: UInt64)] = []
            for name in try Syscall.names(inFolder: descriptor) {
                guard let info = try? Syscall.statAt(descriptor, name), info.st_mode & S_IFMT == S_IFREG else { continue }
                found.append((name, UInt64(info.st_size)))
            }
            return found.sorted { $0.name < $1.name }
        } catch {
            throw classify(error, doing: "list", name: ".")
        }
    }

    /// Removes `name` and makes the removal durable.
    public func remove(_ name: String) throws(MediaError) {
        do throws(SystemError) {
            try Syscall.unlinkAt(descriptor, name)
            try Syscall.fsync(descriptor, path: path)
        } catch {
            throw classify(error, doing: "remove", name: name)
        }
    }

    /// A path that reaches `name` through this descriptor (`/proc/self/fd/N/name`), for readers
    /// that take a path: it names this folder even if the mount point changed since.
    public func procPath(_ name: String) -> String {
        Syscall.exists("/proc/self/fd/\(descriptor)") ? "/proc/self/fd/\(descriptor)/\(name)" : "\(path)/\(name)"
    }

    func classify(_ error: SystemError, doing: String, name: String) -> MediaError {
        MediaError.classify(error, doing: doing, at: name == "." ? path : "\(path)/\(name)", blockDevice: mediumPresent ? nil : blockDevice)
    }
}
