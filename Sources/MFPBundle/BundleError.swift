/// Why a bundle cannot be written or read. Every message says what happened and what to do.
public struct BundleError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// R8: a byte changed, missing, added or moved; `what` names the place (the header, a
        /// part, a chunk, the end of the file).
        case damaged(what: String)
        /// R13: the password does not open this bundle.
        case wrongPassword
        /// R13: the bundle is password-protected and no password was given.
        case passwordRequired
        /// R13: the password breaks the rules (1 to 32 printable ASCII characters).
        case invalidPassword(reason: String)
        /// Made by a newer (or unknown) version of the format.
        case unsupportedVersion(Int)
        /// The bytes do not start like a bundle at all.
        case notABundle
        /// The writer was given content that does not match its header (a bug in the caller).
        case invalidContent(String)
        /// R8: a box backup (its file starts with the box backup preamble) changed, cut or
        /// extended; `what` names the place.
        case damagedBoxBackup(what: String)
        /// A version-1 box backup: its description (origin, language) was not sealed.
        case legacyBoxBackup
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    static func damaged(_ what: String) -> BundleError { BundleError(.damaged(what: what)) }

    public var message: String {
        switch kind {
        case .damaged(let what):
            "bundle was modified or damaged: \(what); do not edit exported files (R8), export again from the machine or use an intact copy"
        case .wrongPassword:
            "wrong bundle password (R13): the password does not open this bundle; give the password it was exported with"
        case .passwordRequired:
            "this bundle is password-protected (R13): give its password with --password-file FILE or MFPBRIDGE_BUNDLE_PASSWORD"
        case .invalidPassword(let reason):
            "unusable bundle password: \(reason); a bundle password is 1 to 32 printable ASCII characters (R13)"
        case .unsupportedVersion(let version):
            "bundle format version \(version) is not supported (this mfpbridge reads version \(BundleFormat.version)); use the mfpbridge that made it, or a newer one"
        case .notABundle:
            "not an mfpbridge bundle: the file does not start with the bundle signature; check the file name"
        case .invalidContent(let detail):
            "cannot write the bundle: \(detail)"
        case .damagedBoxBackup(let what):
            "box backup was modified or damaged (R8): \(what); do not edit backups: use another copy, or make a new backup with mfpbridge box-backup"
        case .legacyBoxBackup:
            "this box backup was made by an earlier mfpbridge (box backup format 1): its description (machine, display language) is not sealed, so it is not trusted (R8); make a new backup with mfpbridge box-backup"
        }
    }

    public var description: String { message }
}
