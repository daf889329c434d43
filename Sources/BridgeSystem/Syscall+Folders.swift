import CMFPBridgeShims
import Glibc

// Calls made against a folder held open (the `*at` family), and the rest of what writing to a
// removable medium needs: the whole file system synced, the page cache dropped so that a read
// comes from the medium, mount(2). A folder opened once cannot be swapped for another under the
// writer's feet (a lazy unmount, a stick replaced by another with the same label).
extension Syscall {
    /// `openat(2)` relative to the open folder `folder`; the caller owns the descriptor.
    public static func openAt(_ folder: Int32, _ name: String, _ flags: Int32, mode: mode_t = 0) throws(SystemError) -> Int32 {
        try valueOrErrno("openat", path: name, descriptor: folder) { mfpb_openat(folder, name, flags, mode) }
    }

    /// `renameat(2)` within one open folder.
    public static func renameAt(_ folder: Int32, _ from: String, to: String) throws(SystemError) {
        _ = try valueOrErrno("renameat", path: from, descriptor: folder) { Glibc.renameat(folder, from, folder, to) }
    }

    /// `unlinkat(2)` of a file in an open folder.
    public static func unlinkAt(_ folder: Int32, _ name: String) throws(SystemError) {
        _ = try valueOrErrno("unlinkat", path: name, descriptor: folder) { Glibc.unlinkat(folder, name, 0) }
    }

    /// `fstatat(2)` without following a symbolic link.
    public static func statAt(_ folder: Int32, _ name: String) throws(SystemError) -> stat {
        var info = Glibc.stat()
        _ = try valueOrErrno("fstatat", path: name, descriptor: folder) {
            Glibc.fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW)
        }
        return info
    }

    /// `mkdirat(2)`.
    public static func mkdirAt(_ folder: Int32, _ name: String, mode: mode_t) throws(SystemError) {
        _ = try valueOrErrno("mkdirat", path: name, descriptor: folder) { Glibc.mkdirat(folder, name, mode) }
    }

    /// The names in an open folder (not `.` and `..`), read through a duplicate of it.
    public static func names(inFolder folder: Int32) throws(SystemError) -> [String] {
        let copy = try openAt(folder, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard let stream = Glibc.fdopendir(copy) else {
            let code = errno
            close(copy)
            throw SystemError(call: "fdopendir", descriptor: folder, errno: code)
        }
        defer { Glibc.closedir(stream) }
        var names: [String] = []
        while let entry = Glibc.readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `fstatvfs(2)`.
    public static func fstatvfs(_ fd: Int32) throws(SystemError) -> statvfs {
        var info = Glibc.statvfs()
        _ = try valueOrErrno("fstatvfs", descriptor: fd) { Glibc.fstatvfs(fd, &info) }
        return info
    }

    /// `syncfs(2)` of the file system holding the open file or folder `fd`.
    public static func syncFileSystem(descriptor fd: Int32) throws(SystemError) {
        _ = try valueOrErrno("syncfs", descriptor: fd) { mfpb_syncfs(fd) }
    }

    /// Drops the file's clean pages from the page cache (`posix_fadvise` DONTNEED), so the next
    /// read comes from the medium. Only clean pages go: call it after fsync.
    public static func dropCachedPages(_ fd: Int32) throws(SystemError) {
        // posix_fadvise returns the error number instead of setting errno.
        let code = Glibc.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        guard code == 0 else { throw SystemError(call: "posix_fadvise", descriptor: fd, errno: code) }
    }

    /// `mount(2)` of a block device's file system on `target`.
    public static func mount(_ source: String, on target: String, type: String, flags: UInt, options: String) throws(SystemError) {
        _ = try valueOrErrno("mount", path: source) { mfpb_mount(source, target, type, flags, options) }
    }
}
