import BridgeTransfer
import Foundation
import MFPBundle
import MFPKit

/// Bundle files on disk: MFPBundle does no I/O, this streams files through it.
public enum BundleFile {
    /// Bytes read from the file at a time.
    public static let readSize = 64 * 1024

    /// Reads and verifies a whole bundle file (R8, R13): every byte, streamed in 64 KiB pieces.
    public static func read(path: String, password: String?) throws(BridgeError) -> BundleContents {
        let handle = try open(path)
        defer { try? handle.close() }
        do {
            return try BundleReader.read(password: password) { try handle.read(upToCount: readSize).map { Array($0) } }
        } catch let error as BundleError {
            throw bridgeError(error, path: path)
        } catch {
            throw BridgeError(.failure, "cannot read the bundle \(path): \(error.localizedDescription)")
        }
    }

    /// Only the header (its own SHA-256 checked, nothing after it): what can be shown of a
    /// protected bundle without its password.
    public static func readHeader(path: String) throws(BridgeError) -> BundleHeader {
        try readHeaderAndLength(path: path).header
    }

    /// The header and the length the whole file must have, from the header alone.
    public static func readHeaderAndLength(path: String) throws(BridgeError) -> (header: BundleHeader, length: Int) {
        let handle = try open(path)
        defer { try? handle.close() }
        var prefix: [UInt8] = []
        do {
            while true {
                if let found = try BundleReader.readHeaderAndLength(prefix: prefix) { return found }
                guard let piece = try handle.read(upToCount: readSize), !piece.isEmpty else {
                    throw BundleError(
                        .damaged(
                            what: prefix.isEmpty ? "the file is empty" : "the file ends after \(prefix.count) bytes, inside the header"))
                }
                prefix += piece
            }
        } catch let error as BundleError {
            throw bridgeError(error, path: path)
        } catch {
            throw BridgeError(.failure, "cannot read the bundle \(path): \(error.localizedDescription)")
        }
    }

    /// Writes a whole bundle of `snapshot` to `path`, durably (temporary file, fsync, rename):
    /// `header` gives the source machine, its categories come from the snapshot. Returns the
    /// header as written.
    @discardableResult
    public static func write(
        _ snapshot: SettingsSnapshot, header: BundleHeader, password: String?,
        to path: String
    ) throws(BridgeError) -> BundleHeader {
        var bytes: [UInt8] = []
        let written: BundleHeader
        do {
            written = try BundleWriter.write(snapshot, header: header, password: password) { bytes += $0 }
        } catch let error as BundleError {
            throw bridgeError(error, path: path)
        } catch {
            throw BridgeError(.failure, "cannot write the bundle \(path): \(error)")
        }
        do {
            try DurableFile.write(bytes, to: path)
        } catch {
            throw BridgeError(.failure, "cannot write the bundle \(path): \(error)")
        }
        return written
    }

    /// The exit status and message of a bundle error (README, "Exit codes": 6 for R8/R13).
    public static func bridgeError(_ error: BundleError, path: String) -> BridgeError {
        let status: ExitStatus =
            switch error.kind {
            case .damaged, .wrongPassword, .notABundle, .unsupportedVersion, .damagedBoxBackup, .legacyBoxBackup: .bundleRejected
            case .passwordRequired, .invalidPassword: .usage
            case .invalidContent: .failure
            }
        return BridgeError(status, "\(path): \(error.message)")
    }

    private static func open(_ path: String) throws(BridgeError) -> FileHandle {
        // A missing file, a folder or an unreadable file gets a sentence, not a Foundation error.
        try InputFile.check(path, what: "bundle file")
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputFile.unreadable(path, what: "bundle file", errno: errno)
        }
        return handle
    }
}
