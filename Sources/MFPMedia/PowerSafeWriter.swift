import BridgeSystem
import Foundation
import Glibc // the O_* constants only; the calls go through BridgeSystem

/// Puts a finished file on a stick so that, whatever moment the stick is pulled, the file under
/// its final name is either complete and verified or not offered at all (docs/media.md):
///
/// 1. the folder is the one opened, on the same file system, with room for the file;
/// 2. the bytes go to `.NAME.partial` (openat, O_EXCL) and are fsynced;
/// 3. renameat to NAME, then the file fsynced **again**: on vfat the rename writes the new entry
///    with size 0 and only marks the inode dirty, so without this a pull leaves an empty NAME;
/// 4. the folder fsynced and the whole file system synced (syncfs);
/// 5. the file's pages dropped from the cache and read back from the stick through the folder
///    descriptor by `verify`, which checks its seal.
///
/// On any failure before step 3 the partial file is removed (when the stick is still there);
/// `MediaBackupCatalog` recognises what a pull left and cleans it on request.
public enum PowerSafeWriter {
    public enum Stage: String, Sendable, CaseIterable {
        case writing, synced, renamed, flushed, readingBack = "reading-back", verified
    }

    public struct Written: Sendable {
        public var path: String
        public var bytes: UInt64
    }

    /// Bytes copied per write: 1 MiB, or an eighth of a small file (so that even a small file is
    /// written in several pieces, and a pull can land between them).
    public static let pieceSize = 1 << 20

    static func piece(for size: UInt64) -> Int {
        Int(max(64 << 10, min(UInt64(pieceSize), size / 8)))
    }

    /// Room kept free beyond the file itself: directory entries and the last cluster.
    public static let slack: UInt64 = 1 << 20

    /// Copies `source` (a local file) into `folder` as `name`. `verify` gets a path that reaches
    /// the copy through the folder's descriptor and throws if its seal does not verify.
    public static func write(
        _ source: String, into folder: MediaFolder, as name: String,
        verify: (String) throws -> Void,
        progress: (Stage, UInt64, UInt64) -> Void = { _, _, _ in }
    ) throws(MediaError) -> Written {
        let input: Int32
        let size: UInt64
        do throws(SystemError) {
            input = try Syscall.open(source, O_RDONLY | O_CLOEXEC)
            size = UInt64(try Syscall.fstat(input, path: source).st_size)
        } catch {
            throw MediaError(.other, path: source, detail: "cannot read the file to copy: \(error)")
        }
        defer { Syscall.close(input) }
        try folder.checkStillThere()
        guard !folder.isReadOnly else {
            throw MediaError(.readOnly, path: folder.path, detail: "it is mounted read-only", outcome: nothing)
        }
        if (try? Syscall.statAt(folder.descriptor, name)) != nil {
            throw MediaError(
                .other, path: "\(folder.path)/\(name)", detail: "a file of that name is already there (the same backup, put before?)",
                outcome: nothing)
        }
        if let free = try folder.freeBytes(), free < size + slack {
            throw MediaError(
                .full, path: folder.path, detail: "the file needs \(size + slack) bytes and \(free) are free", outcome: nothing)
        }
        let partial = ".\(name).partial"
        _ = try? Syscall.unlinkAt(folder.descriptor, partial) // left by an earlier pull; never a backup
        var stage = "create"
        var renamed = false
        do throws(SystemError) {
            let output = try Syscall.openAt(folder.descriptor, partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o644)
            defer { Syscall.close(output) }
            stage = "write"
            try copy(input, to: output, size: size, piece: piece(for: size)) { done in progress(.writing, done, size) }
            stage = "fsync"
            try Syscall.fsync(output, path: partial)
            progress(.synced, size, size)
            stage = "rename"
            try Syscall.renameAt(folder.descriptor, partial, to: name)
            renamed = true
            MediaTestPause.at(.renamed)
            progress(.renamed, size, size)
            // The rename's size and first cluster reach a FAT disk only with the inode: fsync again.
            stage = "fsync after the rename"
            try Syscall.fsync(output, path: name)
            try Syscall.fsync(folder.descriptor, path: folder.path)
            try Syscall.syncFileSystem(descriptor: folder.descriptor)
            progress(.flushed, size, size)
            try Syscall.dropCachedPages(output)
        } catch {
            let failure = folder.classify(error, doing: stage, name: renamed ? name : partial)
            if !renamed { _ = try? Syscall.unlinkAt(folder.descriptor, partial) }
            var described = failure
            described.outcome =
                renamed
                ? "the copy on the stick may be incomplete: it is not counted as a backup until `mfpbridge media backups` finds it whole; the previous backups are intact"
                : nothing
            throw described
        }
        try folder.checkStillThere()
        MediaTestPause.at(.readingBack)
        progress(.readingBack, 0, size)
        do {
            try verify(folder.procPath(name))
        } catch {
            if !folder.mediumPresent {
                throw MediaError(
                    .removed, path: "\(folder.path)/\(name)", detail: "during the read-back",
                    outcome:
                        "the copy was fully written and synced but not checked; plug the stick back in and run `mfpbridge media backups` to check it; the previous backups are intact"
                )
            }
            _ = try? folder.remove(name)
            throw MediaError(
                .badReadBack, path: "\(folder.path)/\(name)", detail: "\(error)", outcome: "the bad copy was removed from the stick")
        }
        progress(.verified, size, size)
        return Written(path: "\(folder.path)/\(name)", bytes: size)
    }

    static let nothing = "nothing was written to the stick; the previous backups on it are intact"

    private static func copy(_ input: Int32, to output: Int32, size: UInt64, piece: Int, progress: (UInt64) -> Void) throws(SystemError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece, alignment: 4096)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        var paused = false
        while done < size {
            let count = try Syscall.pread(input, into: buffer, at: done)
            guard count > 0 else { throw SystemError(call: "read", descriptor: input, errno: EIO) } // the source shrank
            try Syscall.writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            done += UInt64(count)
            progress(done)
            if !paused && done * 2 >= size {
                paused = true
                MediaTestPause.at(.writing)
            }
        }
    }
}
