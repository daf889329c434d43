import BridgeSystem
import Foundation
import Glibc // O_* constants only; the calls go through BridgeSystem

/// Whether a folder can take a file of some size, asked before a device is reserved for a
/// transfer that ends in that folder: a read-only, forbidden or full folder is said at once.
public enum FolderSpace {
    /// Creates and removes a probe file in the folder that will hold `path`, then returns the bytes
    /// free there for this user (statvfs). Throws what stopped the probe (EACCES, EROFS, ENOSPC, ...).
    public static func probe(folderOf path: String) throws(FileSystemError) -> UInt64 {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let probe = "\(folder)/.mfpbridge-probe-\(Syscall.processID)"
        let fd = try FileSystemError.translating("create a file in", path: folder) { () throws(SystemError) in
            try Syscall.open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        }
        Syscall.close(fd)
        _ = try? Syscall.unlink(probe)
        let info = try FileSystemError.translating("read the free space of", path: folder) { () throws(SystemError) in
            try Syscall.statvfs(folder)
        }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}

extension PartFile {
    /// The bytes an earlier, interrupted transfer left in `path.part` (0 when there is none).
    public static func existingSize(path: String) -> UInt64 {
        guard let info = try? Syscall.stat(path + ".part") else { return 0 }
        return UInt64(info.st_size)
    }
}
