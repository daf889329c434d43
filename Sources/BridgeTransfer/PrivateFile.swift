import BridgeSystem
import Glibc // mode_t and the O_*/S_*/E* constants only; the calls go through BridgeSystem

/// Files that hold settings or secrets (the history, the emulator's settings and state) are
/// readable by their owner only: mode 0600 whatever the umask, set when the file is created and
/// narrowed again when an older file is found wider.
public enum PrivateFile {
    public static let mode: mode_t = 0o600

    /// The companions SQLite keeps beside a database, created with the database's own mode.
    public static let sqliteCompanions = ["-wal", "-shm", "-journal"]

    /// Prepares an SQLite database at `path` before SQLite opens it: creates it empty with mode
    /// 0600 when missing (SQLite gives its -wal and -shm files the database's mode), and narrows
    /// the database and its companions to 0600 when one of them is wider.
    public static func prepareDatabase(_ path: String) throws(FileSystemError) {
        try create(path)
        for suffix in sqliteCompanions {
            try restrict(path + suffix)
        }
    }

    /// Creates `path` empty with mode 0600 when it does not exist; narrows it when it does.
    public static func create(_ path: String) throws(FileSystemError) {
        let fd: Int32
        do throws(SystemError) {
            fd = try Syscall.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode: mode)
        } catch  where error.errno == EEXIST {
            try restrict(path)
            return
        } catch {
            throw FileSystemError(error, operation: "create", path: path)
        }
        let file = FileDescriptor(takingOwnershipOf: fd)
        // The umask may have taken bits away; set exactly 0600.
        try FileSystemError.translating("set the mode of", path: path) { () throws(SystemError) in
            try Syscall.fchmod(file.raw, mode)
        }
    }

    /// Takes group and other permissions away from `path` if it exists (a file an older version,
    /// a copy or a wide umask left readable by others). Symbolic links are left alone.
    public static func restrict(_ path: String) throws(FileSystemError) {
        let info: stat
        do throws(SystemError) {
            info = try Syscall.lstat(path)
        } catch  where error.errno == ENOENT {
            return
        } catch {
            throw FileSystemError(error, operation: "check the mode of", path: path)
        }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0 else { return }
        try FileSystemError.translating("set the mode of", path: path) { () throws(SystemError) in
            try Syscall.chmod(path, info.st_mode & 0o700)
        }
    }
}
