import Crypto

extension SettingsStream {
    /// The SHA-256 of a settings stream in lowercase hex: what `export-ready` and `import-begin`
    /// announce, and what the receiving side checks before it uses the content.
    public static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The transfer id of a settings stream (docs/protocol.md, "Settings content"): the first 8
    /// bytes, big-endian, of SHA-256 over the UTF-8 text `SERIAL` LF `DIGEST` (the machine's serial
    /// number, the content's ``digest(_:)``). The same content on the same machine keeps its id, so
    /// a rerun continues from its checkpoints; other bytes or another machine never do.
    public static func transferID(digest: String, serialNumber: String) -> UInt64 {
        let hash = SHA256.hash(data: Array("\(serialNumber)\n\(digest)".utf8))
        return hash.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
