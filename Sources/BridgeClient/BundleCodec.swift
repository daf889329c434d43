import MFPKit

/// Reads and writes bundle files: implemented on the bundle format (MFPBundle), kept behind this
/// small interface so that the operations read as what they do.
public protocol BundleCodec: Sendable {
    /// Writes durably: a `.part` file, fsynced, renamed into place, its folder fsynced.
    func write(origin: BundleOrigin, snapshot: SettingsSnapshot, password: String?, to path: String) throws(BridgeError)
    /// Verifies every byte (R8, R13) before returning anything; exit status 6 on any damage.
    func read(path: String, password: String?) throws(BridgeError) -> (origin: BundleOrigin, snapshot: SettingsSnapshot)
}
