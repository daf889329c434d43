import BridgeSystem
import Foundation
import Glibc // the O_* constants only; the calls go through BridgeSystem

/// Takes a file off a stick onto this computer (temporary file, fsync, rename, folder fsync), so
/// an import or a restore never depends on the stick staying in: once copied, it may be pulled.
public enum MediaCopy {
    public static func fetch(
        _ name: String, from folder: MediaFolder, to localPath: String, progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) throws(MediaError) {
        let input: Int32
        let size: UInt64
        do throws(SystemError) {
            input = try Syscall.openAt(folder.descriptor, name, O_RDONLY | O_CLOEXEC)
            size = UInt64(try Syscall.fstat(input, path: name).st_size)
        } catch {
            throw folder.classify(error, doing: "open", name: name)
        }
        defer { Syscall.close(input) }
        let temporary = "\(localPath).\(Syscall.processID).tmp"
        let output: Int32
        do throws(SystemError) {
            output = try Syscall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
        } catch {
            throw local(error, temporary)
        }
        var done: UInt64 = 0
        var kept = false
        defer {
            Syscall.close(output)
            if !kept { _ = try? Syscall.removeIfPresent(temporary) }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: PowerSafeWriter.pieceSize, alignment: 4096)
        defer { buffer.deallocate() }
        while done < size {
            let count: Int
            do throws(SystemError) {
                count = try Syscall.pread(input, into: buffer, at: done, path: name)
            } catch {
                throw folder.classify(error, doing: "read", name: name)
            }
            guard count > 0 else { throw MediaError(.other, path: "\(folder.path)/\(name)", detail: "the file shrank while it was copied") }
            do throws(SystemError) {
                try Syscall.writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[..<count]), path: temporary)
            } catch {
                throw local(error, temporary)
            }
            done += UInt64(count)
            progress(done, size)
        }
        do throws(SystemError) {
            try Syscall.fsync(output, path: temporary)
            try Syscall.rename(temporary, to: localPath)
            kept = true
            try Syscall.syncDirectory((localPath as NSString).deletingLastPathComponent)
        } catch {
            throw local(error, localPath)
        }
    }

    private static func local(_ error: SystemError, _ path: String) -> MediaError {
        MediaError(.other, path: path, detail: "cannot write the copy on this computer: \(error)")
    }
}
