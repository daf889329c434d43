import Foundation
import Glibc

/// Publishes files so that a power cut leaves either the old content or the new, never a mix:
/// write a temporary file in the same folder, fsync it, rename it over the target, fsync the folder.
public enum DurableFile {
    public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o600) throws(FileSystemError) {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        // Unique per call: two writers of one file in one process never share a temporary.
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: .min ... .max)).tmp"
        let fd = retryingOnInterrupt { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions) }
        guard fd >= 0 else { throw FileSystemError(operation: "create", path: temporary, errno: errno) }
        var published = false
        defer {
            if !published { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            // Exactly `permissions`, whatever the umask took away.
            guard fchmod(fd, permissions) == 0 else {
                throw FileSystemError(operation: "set the mode of", path: temporary, errno: errno)
            }
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { buffer in
                    Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError(operation: "write", path: temporary, errno: errno)
                }
                written += result
            }
            guard retryingOnInterrupt({ fsync(fd) }) == 0 else {
                throw FileSystemError(operation: "fsync", path: temporary, errno: errno)
            }
        }
        guard rename(temporary, path) == 0 else {
            throw FileSystemError(operation: "rename into place", path: path, errno: errno)
        }
        published = true
        try syncDirectory(directory)
    }

    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o600) throws(FileSystemError) {
        try write(Array(data), to: path, permissions: permissions)
    }

    /// Makes a rename or a new file in `directory` survive a power cut.
    public static func syncDirectory(_ directory: String) throws(FileSystemError) {
        let fd = retryingOnInterrupt { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw FileSystemError(operation: "open folder", path: directory, errno: errno) }
        defer { close(fd) }
        guard retryingOnInterrupt({ fsync(fd) }) == 0 else {
            throw FileSystemError(operation: "fsync folder", path: directory, errno: errno)
        }
    }

    public static func read(_ path: String) throws(FileSystemError) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if access(path, F_OK) != 0 { return nil }
            throw FileSystemError(operation: "read", path: path, errno: errno == 0 ? EIO : errno)
        }
        return Array(data)
    }

    /// Creates a folder and its parents (mode 0700 whatever the umask: it may hold device data).
    /// A folder that exists is left as it is.
    public static func makeDirectory(_ path: String) throws(FileSystemError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw FileSystemError(operation: "create folder", path: path, errno: ENOTDIR)
            }
            return
        }
        guard errno == ENOENT else { throw FileSystemError(operation: "create folder", path: path, errno: errno) }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent) }
        guard mkdir(path, 0o700) == 0 else {
            let error = errno
            // Another process created it meanwhile: fine, as long as it is a folder.
            if error == EEXIST, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return }
            throw FileSystemError(operation: "create folder", path: path, errno: error)
        }
        guard chmod(path, 0o700) == 0 else { throw FileSystemError(operation: "set the mode of", path: path, errno: errno) }
    }
}
