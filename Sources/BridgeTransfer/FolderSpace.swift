import Foundation
import Glibc

/// Whether a folder can take a file of some size, asked before a device is reserved for a
/// transfer that ends in that folder: a read-only, forbidden or full folder is said at once.
public enum FolderSpace {
    /// Creates and removes a probe file in the folder that will hold `path`, then returns the bytes
    /// free there for this user (statvfs). Throws what stopped the probe (EACCES, EROFS, ENOSPC, ...).
    public static func probe(folderOf path: String) throws(FileSystemError) -> UInt64 {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let probe = "\(folder)/.mfpbridge-probe-\(getpid())"
        let fd = retryingOnInterrupt { open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw FileSystemError(operation: "create a file in", path: folder, errno: errno) }
        Glibc.close(fd)
        unlink(probe)
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { throw FileSystemError(operation: "read the free space of", path: folder, errno: errno) }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}

extension PartFile {
    /// The bytes an earlier, interrupted transfer left in `path.part` (0 when there is none).
    public static func existingSize(path: String) -> UInt64 {
        var info = stat()
        guard stat(path + ".part", &info) == 0 else { return 0 }
        return UInt64(info.st_size)
    }
}
