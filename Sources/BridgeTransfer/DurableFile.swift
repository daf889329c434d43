import BridgeSystem
import Foundation
import Glibc // mode_t and the O_*/E* constants only; the calls go through BridgeSystem

/// Publishes files so that a power cut leaves either the old content or the new, never a mix:
/// write a temporary file in the same folder, fsync it, rename it over the target, fsync the folder.
public enum DurableFile {
    public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o600) throws(FileSystemError) {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        // Unique per call: two writers of one file in one process never share a temporary.
        let temporary = "\(path).\(Syscall.processID).\(UInt32.random(in: .min ... .max)).tmp"
        var published = false
        defer {
            if !published { _ = try? Syscall.removeIfPresent(temporary) }
        }
        do {
            let file = try FileSystemError.translating("create", path: temporary) { () throws(SystemError) -> FileDescriptor in
                try FileDescriptor(opening: temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: permissions)
            }
            // Exactly `permissions`, whatever the umask took away.
            try FileSystemError.translating("set the mode of", path: temporary) { () throws(SystemError) in
                try Syscall.fchmod(file.raw, permissions)
            }
            try FileSystemError.translating("write", path: temporary) { () throws(SystemError) in
                try Syscall.writeAll(file.raw, bytes)
            }
            try FileSystemError.translating("fsync", path: temporary) { () throws(SystemError) in
                try Syscall.fsync(file.raw)
            }
        } // closed here, before the rename
        try FileSystemError.translating("rename into place", path: path) { () throws(SystemError) in
            try Syscall.rename(temporary, to: path)
        }
        published = true
        try syncDirectory(directory)
    }

    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o600) throws(FileSystemError) {
        try write(Array(data), to: path, permissions: permissions)
    }

    /// Makes a rename or a new file in `directory` survive a power cut.
    public static func syncDirectory(_ directory: String) throws(FileSystemError) {
        let folder = try FileSystemError.translating("open folder", path: directory) { () throws(SystemError) -> FileDescriptor in
            try FileDescriptor(opening: directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        try FileSystemError.translating("fsync folder", path: directory) { () throws(SystemError) in
            try Syscall.fsync(folder.raw)
        }
    }

    public static func read(_ path: String) throws(FileSystemError) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else {
            let code = errno // what Foundation's read left
            if !Syscall.exists(path) { return nil }
            throw FileSystemError(operation: "read", path: path, errno: code == 0 ? EIO : code)
        }
        return Array(data)
    }

    /// Creates a folder and its parents (mode 0700 whatever the umask: it may hold device data).
    /// A folder that exists is left as it is.
    public static func makeDirectory(_ path: String) throws(FileSystemError) {
        let existing: stat?
        do throws(SystemError) {
            existing = try Syscall.stat(path)
        } catch  where error.errno == ENOENT {
            existing = nil // created below
        } catch {
            throw FileSystemError(error, operation: "create folder", path: path)
        }
        if let existing {
            guard existing.st_mode & S_IFMT == S_IFDIR else {
                throw FileSystemError(operation: "create folder", path: path, errno: ENOTDIR)
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent) }
        do throws(SystemError) {
            try Syscall.mkdir(path, mode: 0o700)
        } catch {
            // Another process created it meanwhile: fine, as long as it is a folder.
            if error.errno == EEXIST, let info = try? Syscall.stat(path), info.st_mode & S_IFMT == S_IFDIR { return }
            throw FileSystemError(error, operation: "create folder", path: path)
        }
        try FileSystemError.translating("set the mode of", path: path) { () throws(SystemError) in
            try Syscall.chmod(path, 0o700)
        }
    }
}
