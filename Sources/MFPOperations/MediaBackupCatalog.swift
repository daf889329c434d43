import BridgeClient
import Foundation
import MFPBundle
import MFPKit
import MFPMedia

/// The backups on a stick, from their headers: a settings bundle's header (its SHA-256) and the
/// file's length against what the header describes; a box backup's preamble and sealed trailer
/// and its length. Only a file that passes is listed as a backup; what a pull or a stopped
/// writer left (partial files, empty or cut files) is listed as incomplete, with the reason, and
/// removed by ``clean(_:in:)``. Every byte is checked again when a backup is taken (R8).
public enum MediaBackupCatalog {
    public struct Backup: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable { case settings, box }
        public var name: String
        public var kind: Kind
        public var model: String
        public var serialNumber: String
        public var createdAt: Date
        public var bytes: UInt64
        /// Settings: the categories it holds and whether a password protects it (R13).
        public var categories: [String]?
        public var passwordProtected: Bool?
        /// Box: how many documents.
        public var documents: Int?
        /// Every byte read and its seal checked (`verify`); nil when only the header was read.
        public var verified: Bool?
    }

    public struct Incomplete: Sendable, Codable, Equatable {
        public var name: String
        public var bytes: UInt64
        public var reason: String
    }

    public struct Listing: Sendable, Codable {
        public var folder: String
        public var backups: [Backup]
        public var incomplete: [Incomplete]
    }

    public static func list(_ folder: MediaFolder) throws(MediaError) -> Listing {
        var backups: [Backup] = []
        var incomplete: [Incomplete] = []
        for (name, size) in try folder.files() {
            if MediaBackupName.isPartialName(name) {
                incomplete.append(
                    Incomplete(
                        name: name, bytes: size,
                        reason: "a partial copy: it was being written when the stick was pulled or the command stopped"))
                continue
            }
            guard MediaBackupName.isBackupName(name) else { continue }
            guard size > 0 else {
                incomplete.append(
                    Incomplete(name: name, bytes: 0, reason: "empty: the stick was pulled before the file system recorded the file's size"))
                continue
            }
            switch examine(folder.procPath(name), name: name, size: size) {
            case let .success(backup): backups.append(backup)
            case let .failure(error):
                try folder.checkStillThere() // a read error because the stick left is not a damaged file
                incomplete.append(
                    Incomplete(
                        name: name, bytes: size, reason: error.message.replacingOccurrences(of: folder.procPath(name) + ": ", with: "")))
            }
        }
        backups.sort { ($0.createdAt, $0.name) > ($1.createdAt, $1.name) }
        return Listing(folder: folder.path, backups: backups, incomplete: incomplete)
    }

    /// Reads every byte of every listed backup and checks its seal (R8): a backup that fails moves
    /// to the incomplete ones, with the reason. A protected bundle is read with `password`; without
    /// it, its header and length stand (`verified` false).
    public static func verify(_ listing: inout Listing, in folder: MediaFolder, password: String?) throws(MediaError) {
        var kept: [Backup] = []
        for var backup in listing.backups {
            let path = folder.procPath(backup.name)
            let outcome = Result { () throws(BridgeError) in
                if backup.kind == .box {
                    _ = try BoxBackupFile.verify(path: path)
                } else if backup.passwordProtected != true || password != nil {
                    _ = try BundleFile.read(path: path, password: password)
                } else {
                    return false
                }
                return true
            }
            switch outcome {
            case let .success(read):
                backup.verified = read
                kept.append(backup)
            case let .failure(error):
                try folder.checkStillThere()
                listing.incomplete.append(
                    Incomplete(
                        name: backup.name, bytes: backup.bytes, reason: error.message.replacingOccurrences(of: path + ": ", with: "")))
            }
        }
        listing.backups = kept
    }

    /// Removes the incomplete files of `listing`; returns the names removed.
    public static func clean(_ listing: Listing, in folder: MediaFolder) throws(MediaError) -> [String] {
        var removed: [String] = []
        for file in listing.incomplete {
            try folder.remove(file.name)
            removed.append(file.name)
        }
        return removed
    }

    /// The backup `pick` names, or with `latest` the newest of `kind` from the machine `serial`
    /// (any machine when nil).
    public static func choose(
        _ listing: Listing, kind: Backup.Kind, pick: String?, latestFor serial: String?
    ) throws(BridgeError) -> Backup {
        let ofKind = listing.backups.filter { $0.kind == kind }
        if let pick {
            guard let backup = ofKind.first(where: { $0.name == pick }) else {
                let other = listing.incomplete.first { $0.name == pick }
                throw BridgeError(
                    .usage,
                    other.map { "\(pick) on the stick is not a complete backup (\($0.reason))" }
                        ?? "no \(kind.rawValue) backup called \(pick) on the stick (\(listing.folder)); `mfpbridge media backups` lists them"
                )
            }
            return backup
        }
        let candidates = serial.map { serial in ofKind.filter { $0.serialNumber == serial } } ?? ofKind
        guard let newest = candidates.first else {
            throw BridgeError(
                .usage,
                "no \(kind.rawValue) backup\(serial.map { " of the machine \($0)" } ?? "") on the stick (\(listing.folder))"
                    + (ofKind.isEmpty ? "" : "; it holds \(ofKind.map(\.name).joined(separator: ", "))"))
        }
        return newest
    }

    private static func examine(_ path: String, name: String, size: UInt64) -> Result<Backup, BridgeError> {
        Result { () throws(BridgeError) -> Backup in
            if name.hasSuffix("." + MediaBackupName.boxExtension) {
                let trailer = try BoxBackupFile.readSealed(path: path)
                return Backup(
                    name: name, kind: .box, model: trailer.origin.model, serialNumber: trailer.origin.serialNumber,
                    createdAt: trailer.createdAt, bytes: size, documents: trailer.documents)
            }
            let (header, length) = try BundleFile.readHeaderAndLength(path: path)
            guard UInt64(length) == size else {
                throw BridgeError(
                    .bundleRejected,
                    size < length ? "cut short: \(size) of its \(length) bytes are there" : "\(size - UInt64(length)) bytes after its end")
            }
            return Backup(
                name: name, kind: .settings, model: header.model, serialNumber: header.sourceSerialNumber,
                createdAt: header.createdAt, bytes: size, categories: header.categories.map(\.category.rawValue),
                passwordProtected: header.isPasswordProtected)
        }
    }
}
