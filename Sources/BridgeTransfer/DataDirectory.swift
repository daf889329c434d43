import Foundation

/// Where mfpbridge keeps its own files: `$MFPBRIDGE_DATA_DIR`, else `$XDG_DATA_HOME/mfpbridge`,
/// else `~/.local/share/mfpbridge`.
public enum DataDirectory {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["MFPBRIDGE_DATA_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/mfpbridge" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/mfpbridge"
    }
}
