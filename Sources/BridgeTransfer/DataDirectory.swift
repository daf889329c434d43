import BridgeSystem
import Foundation
import Glibc // W_OK only; the calls go through BridgeSystem

/// Where mfpbridge keeps its own files: `$MFPBRIDGE_DATA_DIR`, else `$XDG_DATA_HOME/mfpbridge`,
/// else `~/.local/share/mfpbridge`.
public enum DataDirectory {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["MFPBRIDGE_DATA_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/mfpbridge" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/mfpbridge"
    }

    /// Creates `folder` when missing and checks that this process may write in it (a read-only
    /// mount, a folder of another user): a command calls it before it talks to a machine, so that
    /// it fails at once rather than after a transfer has started.
    public static func requireWritable(_ folder: String) throws(FileSystemError) {
        try DurableFile.makeDirectory(folder)
        try FileSystemError.translating("write in", path: folder) { () throws(SystemError) in
            try Syscall.access(folder, W_OK)
        }
    }
}
