import BridgeSystem
import Glibc // the E* constants only

/// What went wrong with a medium, in the words a technician needs, from the errno table of real
/// sticks (docs/media.md): a pulled stick shows as EIO, ENODEV, ENOTCONN, or as ENOSPC with its
/// block device gone; ENOSPC alone is a full stick; EROFS a read-only mount or a write-protect
/// switch.
public struct MediaError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// The stick left (pulled, or it failed) while it was being used.
        case removed
        case full
        case readOnly
        case permission
        /// No stick, or no stick of that name.
        case notFound
        /// A name that matches several sticks.
        case ambiguous
        case notMounted
        /// The copy on the stick did not read back as it was written.
        case badReadBack
        case other
    }

    public var kind: Kind
    public var path: String
    public var detail: String
    /// What happened to what was being written, when it is known (set by the writer).
    public var outcome: String?

    public init(_ kind: Kind, path: String, detail: String, outcome: String? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
        self.outcome = outcome
    }

    public var description: String {
        let what: String
        switch kind {
        case .removed: what = "the stick was removed (or stopped answering) at \(path): \(detail)"
        case .full: what = "the stick is full at \(path): \(detail). Free space on it, or use a larger stick"
        case .readOnly:
            what =
                "the stick at \(path) is read-only: \(detail). Slide its write-protect switch off, or mount it read-write, and try again"
        case .permission: what = "no permission at \(path): \(detail). Run as the user who mounted the stick, or as root"
        case .notFound, .ambiguous, .notMounted, .other: what = "\(path): \(detail)"
        case .badReadBack:
            what = "the copy on the stick at \(path) did not read back as it was written (\(detail)): the stick may be failing"
        }
        return outcome.map { "\(what); \($0)" } ?? what
    }

    /// Classifies a failed call. `blockDevice` is set when the stick's block device is known to
    /// be gone: then whatever the errno (ENOSPC included), the stick was removed.
    public static func classify(_ error: SystemError, doing: String, at path: String, blockDevice: String?) -> MediaError {
        let said = "cannot \(doing) (\(error.call): \(error.reason), \(error.symbol))"
        if let blockDevice {
            return MediaError(.removed, path: path, detail: "\(said); its block device \(blockDevice) is gone")
        }
        switch error.errno {
        case EIO, ENODEV, ENOTCONN, ENXIO, ESHUTDOWN, ENOMEDIUM: return MediaError(.removed, path: path, detail: said)
        case ENOSPC, EDQUOT, EFBIG: return MediaError(.full, path: path, detail: said)
        case EROFS: return MediaError(.readOnly, path: path, detail: said)
        case EACCES, EPERM: return MediaError(.permission, path: path, detail: said)
        case ENOENT, ENOTDIR: return MediaError(.notFound, path: path, detail: said)
        default: return MediaError(.other, path: path, detail: said)
        }
    }
}
