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

    /// Creates a folder and its parents (mode 0700: it may hold device data).
    public static func makeDirectory(_ path: String) throws(FileSystemError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw FileSystemError(operation: "create folder", path: path, errno: (error as NSError).code == 0 ? EIO : Int32((error as NSError).code))
        }
    }
}
