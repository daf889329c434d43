import CMFPBridgeShims
import Glibc
import SystemPackage

// Files. Descriptor I/O is swift-system's (its `FileDescriptor` retries EINTR the same way and
// throws its `Errno`, turned here into a `SystemError` with the path or descriptor). What it does
// not cover on Linux (fsync, fdatasync, rename, unlink, mkdir, stat, statvfs, flock, access,
// chmod, fchmod) calls Glibc through `valueOrErrno`.
extension Syscall {
    /// Runs a swift-system call and turns its `Errno` into a `SystemError`.
    @inline(__always)
    static func system<T>(
        _ call: String, path: String? = nil, descriptor: Int32? = nil, _ body: () throws -> T
    ) throws(SystemError) -> T {
        do {
            return try body()
        } catch let error as Errno {
            try check(call, error.rawValue)
            throw SystemError(call: call, path: path, descriptor: descriptor, errno: error.rawValue)
        } catch {
            preconditionFailure("swift-system threw something other than Errno: \(error)")
        }
    }

    /// `open(2)`; `mode` is required with O_CREAT. The caller owns the descriptor (wrap it in a
    /// ``FileDescriptor`` to have it closed).
    public static func open(_ path: String, _ flags: Int32, mode: mode_t? = nil) throws(SystemError) -> Int32 {
        let access = SystemPackage.FileDescriptor.AccessMode(rawValue: flags & O_ACCMODE)
        let options = SystemPackage.FileDescriptor.OpenOptions(rawValue: flags & ~O_ACCMODE)
        let permissions = mode.map { FilePermissions(rawValue: $0) }
        return try system("open", path: path) {
            try SystemPackage.FileDescriptor.open(FilePath(path), access, options: options, permissions: permissions).rawValue
        }
    }

    /// Never retried: on Linux the descriptor is gone even when close reports EINTR. Its errors
    /// say nothing a caller could act on (the data's fate is fsync's to report).
    public static func close(_ fd: Int32) {
        _ = try? SystemPackage.FileDescriptor(rawValue: fd).close()
    }

    /// One `read(2)` into `buffer`: the count read, 0 at end of file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try system("read", descriptor: fd) { try SystemPackage.FileDescriptor(rawValue: fd).read(into: buffer) }
    }

    /// One `read(2)` of at most `maxBytes`: empty at end of file.
    public static func read(_ fd: Int32, maxBytes: Int) throws(SystemError) -> [UInt8] {
        var failure: SystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: maxBytes) { buffer, count in
            do throws(SystemError) {
                count = try read(fd, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// One `pread(2)` at `offset`: the count read, 0 at end of file.
    public static func pread(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, path: String? = nil
    ) throws(SystemError) -> Int {
        try system("pread", path: path, descriptor: fd) {
            try SystemPackage.FileDescriptor(rawValue: fd).read(fromAbsoluteOffset: Int64(offset), into: buffer)
        }
    }

    /// Fills `buffer` from `offset` with as many `pread`s as it takes: the count read, short only
    /// at end of file.
    public static func preadFully(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, path: String? = nil
    ) throws(SystemError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = try pread(
                fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]),
                at: offset + UInt64(done), path: path)
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Up to `count` bytes from `offset` (fewer only at end of file).
    public static func preadFully(_ fd: Int32, count: Int, at offset: UInt64, path: String? = nil) throws(SystemError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        // withUnsafeMutableBytes only rethrows untyped errors: carry the typed one out in a Result.
        let outcome = out.withUnsafeMutableBytes { buffer in
            Result { () throws(SystemError) -> Int in try preadFully(fd, into: buffer, at: offset, path: path) }
        }
        out.removeLast(count - (try outcome.get()))
        return out
    }

    /// One `write(2)`: the count written.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String? = nil) throws(SystemError) -> Int {
        try system("write", path: path, descriptor: fd) { try SystemPackage.FileDescriptor(rawValue: fd).write(bytes) }
    }

    /// Writes all of `bytes` (a blocking descriptor), as many `write`s as it takes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String? = nil) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            done += try write(fd, UnsafeRawBufferPointer(rebasing: bytes[done...]), path: path)
        }
    }

    /// One `pwrite(2)` at `offset`: the count written.
    public static func pwrite(
        _ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64, path: String? = nil
    ) throws(SystemError) -> Int {
        try system("pwrite", path: path, descriptor: fd) {
            try SystemPackage.FileDescriptor(rawValue: fd).write(toAbsoluteOffset: Int64(offset), bytes)
        }
    }

    /// Writes all of `bytes` at `offset`, as many `pwrite`s as it takes.
    public static func pwriteAll(
        _ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64, path: String? = nil
    ) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            done += try pwrite(fd, UnsafeRawBufferPointer(rebasing: bytes[done...]), at: offset + UInt64(done), path: path)
        }
    }

    // Array forms: `withUnsafeBytes` only rethrows untyped errors, so these carry the typed one
    // out in a Result.

    /// Writes all of `bytes` (a blocking descriptor).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String? = nil) throws(SystemError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(SystemError) in try writeAll(fd, buffer, path: path) }
        }.get()
    }

    /// Writes all of `bytes` at `offset`.
    public static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64, path: String? = nil) throws(SystemError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(SystemError) in try pwriteAll(fd, buffer, at: offset, path: path) }
        }.get()
    }

    /// One `pread(2)` into `buffer` (all of it): the count read, 0 at end of file.
    public static func pread(_ fd: Int32, into buffer: inout [UInt8], at offset: UInt64, path: String? = nil) throws(SystemError) -> Int {
        try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SystemError) -> Int in try pread(fd, into: raw, at: offset, path: path) }
        }.get()
    }

    /// `ftruncate(2)`.
    public static func ftruncate(_ fd: Int32, to size: UInt64, path: String? = nil) throws(SystemError) {
        try system("ftruncate", path: path, descriptor: fd) { try SystemPackage.FileDescriptor(rawValue: fd).resize(to: Int64(size)) }
    }

    public static func fsync(_ fd: Int32, path: String? = nil) throws(SystemError) {
        _ = try valueOrErrno("fsync", path: path, descriptor: fd) { Glibc.fsync(fd) }
    }

    public static func fdatasync(_ fd: Int32, path: String? = nil) throws(SystemError) {
        _ = try valueOrErrno("fdatasync", path: path, descriptor: fd) { Glibc.fdatasync(fd) }
    }

    /// Opens `directory` and fsyncs it, so that a rename or a new file in it survives a power cut.
    public static func syncDirectory(_ directory: String) throws(SystemError) {
        let folder = FileDescriptor(takingOwnershipOf: try open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
        try fsync(folder.raw, path: directory)
    }

    public static func rename(_ from: String, to: String) throws(SystemError) {
        _ = try valueOrErrno("rename", path: from) { Glibc.rename(from, to) }
    }

    public static func unlink(_ path: String) throws(SystemError) {
        _ = try valueOrErrno("unlink", path: path) { Glibc.unlink(path) }
    }

    /// `unlink(2)` that takes a missing file as done: true when a file was removed.
    @discardableResult
    public static func removeIfPresent(_ path: String) throws(SystemError) -> Bool {
        do throws(SystemError) {
            try unlink(path)
            return true
        } catch  where error.errno == ENOENT {
            return false
        }
    }

    public static func mkdir(_ path: String, mode: mode_t) throws(SystemError) {
        _ = try valueOrErrno("mkdir", path: path) { Glibc.mkdir(path, mode) }
    }

    public static func rmdir(_ path: String) throws(SystemError) {
        _ = try valueOrErrno("rmdir", path: path) { Glibc.rmdir(path) }
    }

    public static func stat(_ path: String) throws(SystemError) -> stat {
        var info = Glibc.stat()
        _ = try valueOrErrno("stat", path: path) { statPath(path, &info) }
        return info
    }

    public static func lstat(_ path: String) throws(SystemError) -> stat {
        var info = Glibc.stat()
        _ = try valueOrErrno("lstat", path: path) { Glibc.lstat(path, &info) }
        return info
    }

    public static func fstat(_ fd: Int32, path: String? = nil) throws(SystemError) -> stat {
        var info = Glibc.stat()
        _ = try valueOrErrno("fstat", path: path, descriptor: fd) { Glibc.fstat(fd, &info) }
        return info
    }

    public static func statvfs(_ path: String) throws(SystemError) -> statvfs {
        var info = Glibc.statvfs()
        _ = try valueOrErrno("statvfs", path: path) { statFileSystem(path, &info) }
        return info
    }

    /// `access(2)`: throws the errno when `mode` is not allowed (ENOENT when nothing is there).
    public static func access(_ path: String, _ mode: Int32) throws(SystemError) {
        _ = try valueOrErrno("access", path: path) { Glibc.access(path, mode) }
    }

    /// Whether anything is at `path` (`access(path, F_OK)`).
    public static func exists(_ path: String) -> Bool {
        Glibc.access(path, F_OK) == 0
    }

    public static func chmod(_ path: String, _ mode: mode_t) throws(SystemError) {
        _ = try valueOrErrno("chmod", path: path) { Glibc.chmod(path, mode) }
    }

    public static func fchmod(_ fd: Int32, _ mode: mode_t, path: String? = nil) throws(SystemError) {
        _ = try valueOrErrno("fchmod", path: path, descriptor: fd) { Glibc.fchmod(fd, mode) }
    }

    /// `flock(2)`. With LOCK_NB a lock held elsewhere throws EWOULDBLOCK.
    public static func flock(_ fd: Int32, _ operation: Int32, path: String? = nil) throws(SystemError) {
        _ = try valueOrErrno("flock", path: path, descriptor: fd) { lockFile(fd, operation) }
    }

    /// The target of the symbolic link at `path`.
    public static func readlink(_ path: String) throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = try valueOrErrno("readlink", path: path) { Glibc.readlink(path, &buffer, buffer.count - 1) }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func isTerminal(_ fd: Int32) -> Bool {
        Glibc.isatty(fd) == 1
    }
}

/// `Glibc.stat` and `Glibc.statvfs` name the structs, as `Glibc.flock` does; unqualified at file
/// scope the calls reach the functions.
private func statPath(_ path: String, _ info: inout stat) -> Int32 {
    stat(path, &info)
}

private func statFileSystem(_ path: String, _ info: inout statvfs) -> Int32 {
    statvfs(path, &info)
}

/// `Glibc.flock` names the struct; unqualified at file scope the call reaches the function.
private func lockFile(_ fd: Int32, _ operation: Int32) -> Int32 {
    flock(fd, operation)
}

// Removable media: flushing a whole file system and unmounting it (GNU calls, from the shims).
extension Syscall {
    /// `syncfs(2)` of the file system holding `path` (opened read-only for the call).
    public static func syncFileSystem(_ path: String) throws(SystemError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        _ = try valueOrErrno("syncfs", path: path) { mfpb_syncfs(fd) }
    }

    /// `umount2(path, 0)`: fails with EBUSY while files are open there (never lazy: a lazy
    /// unmount would say "done" while writes still go to the stick).
    public static func unmount(_ path: String) throws(SystemError) {
        _ = try valueOrErrno("umount", path: path) { mfpb_umount(path) }
    }

    /// `umount2(path, MNT_DETACH)`: only for a medium already gone, whose mount has nothing left
    /// to write and would otherwise stay behind, dead.
    public static func detachMount(_ path: String) throws(SystemError) {
        _ = try valueOrErrno("umount", path: path) { mfpb_umount_detach(path) }
    }
}
