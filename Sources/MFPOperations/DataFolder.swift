import BridgeClient
import BridgeTransfer

/// The data folder's parts a command writes in, checked before the machine is touched.
public enum DataFolder {
    /// Exit 1 with "the data folder DIR is read-only (EROFS): ..." when one of `folders` cannot be written.
    public static func requireWritable(_ folders: String...) throws(BridgeError) {
        for folder in folders {
            do {
                try DataDirectory.requireWritable(folder)
            } catch {
                throw BridgeError(.failure, error.description)
            }
        }
    }
}
