import Glibc

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
        let fd = retryingOnInterrupt { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode) }
        if fd >= 0 {
            defer { close(fd) }
            // The umask may have taken bits away; set exactly 0600.
            guard fchmod(fd, mode) == 0 else { throw FileSystemError(operation: "set the mode of", path: path, errno: errno) }
            return
        }
        guard errno == EEXIST else { throw FileSystemError(operation: "create", path: path, errno: errno) }
        try restrict(path)
    }

    /// Takes group and other permissions away from `path` if it exists (a file an older version,
    /// a copy or a wide umask left readable by others). Symbolic links are left alone.
    public static func restrict(_ path: String) throws(FileSystemError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw FileSystemError(operation: "check the mode of", path: path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0 else { return }
        guard chmod(path, info.st_mode & 0o700) == 0 else {
            throw FileSystemError(operation: "set the mode of", path: path, errno: errno)
        }
    }
}
