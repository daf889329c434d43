import BridgeSystem
import BridgeTransfer
import Foundation
import Glibc // S_* and E* constants only; the calls go through BridgeSystem

/// Files the operator names on the command line (bundles, box backups), checked before they are
/// read so that a typo or a folder gets a sentence, not a Foundation error number.
public enum InputFile {
    /// A missing file or a folder is a usage error (exit 2); one that exists but cannot be opened
    /// (permissions, a disk error) is a failure (exit 1) that names the errno.
    public static func check(_ path: String, what: String) throws(BridgeError) {
        let info: stat
        do throws(SystemError) {
            info = try Syscall.stat(path)
        } catch  where error.errno == ENOENT || error.errno == ENOTDIR {
            throw BridgeError(.usage, "no \(what) at \(path): check the file name")
        } catch {
            throw unreadable(path, what: what, errno: error.errno)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw BridgeError(.usage, "\(path) is a folder, not a \(what): give the file inside it")
        }
        do throws(SystemError) {
            Syscall.close(try Syscall.open(path, O_RDONLY | O_CLOEXEC))
        } catch {
            throw unreadable(path, what: what, errno: error.errno)
        }
    }

    /// A read that failed part-way: the errno behind it when Foundation carries one.
    public static func readFailure(_ path: String, what: String, _ error: any Error) -> BridgeError {
        if let code = FileSystemError.errno(of: error) { return unreadable(path, what: what, errno: code) }
        return BridgeError(.failure, "cannot read the \(what) \(path): \(error.localizedDescription)")
    }

    public static func unreadable(_ path: String, what: String, errno code: Int32) -> BridgeError {
        let hint =
            switch code {
            case EACCES, EPERM: "check its permissions (ls -l \(path)) or run as a user who may read it"
            case EIO: "the disk could not read it: check the disk (dmesg) or use another copy"
            default: "check the file"
            }
        let reason = SystemError.reason(code).lowercased()
        return BridgeError(.failure, "cannot read the \(what) \(path): \(reason) (\(FileSystemError.symbol(code))): \(hint)")
    }
}
