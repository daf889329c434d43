import BridgeTransfer
import Foundation
import MFPBundle
import MFPKit

/// Box backup files (`mfpbridge box-backup`, format 2): preamble, payload, sealed trailer
/// (`BoxBackupFormat` in MFPBundle). Reads and verifies them for `verify`, `inspect` and
/// `box-restore`: nothing of a file is shown or used before every byte checked (R8).
public enum BoxBackupFile {
    /// A box backup whose trailer, seal and every payload byte checked.
    public struct Verified: Sendable {
        public var trailer: BoxBackupTrailer
        /// The trailer as sealed in the file: what `box-import-begin` carries to the device.
        public var sealedTrailer: [UInt8]
        public var chain: ChainHash
        public var origin: BundleOrigin { trailer.origin }
        public var documents: Int { trailer.documents }
        public var payloadSize: UInt64 { trailer.payloadSize }
    }

    /// Whether the file is (or claims to be) a box backup: it starts with the box backup preamble
    /// (or what is left of it), or ends like a version-1 box backup. Such a file is read by
    /// ``verify(path:)``, whose every refusal is about a box backup.
    public static func isBoxBackup(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: BoxBackupFormat.magic.count)).map { Array($0) } ?? []
        if BoxBackupFormat.kind(ofPrefix: head) != .other { return true }
        return endsLikeVersion1(handle)
    }

    private static func endsLikeVersion1(_ handle: FileHandle) -> Bool {
        guard let end = try? handle.seekToEnd(), end >= 8 else { return false }
        try? handle.seek(toOffset: end - 8)
        return (try? handle.read(upToCount: 8)).map { Array($0) } == BoxBackupFormat.legacyEndMagic
    }

    /// Reads the preamble and the sealed trailer, then recomputes the payload's chain hash over
    /// every byte (R8). Exit status 6 for anything wrong with the file. The payload it returns
    /// carries the chain at every block, so a restore sends it without hashing again.
    public static func verify(path: String) throws(BridgeError) -> (verified: Verified, payload: any StreamSource) {
        let (source, trailer, sealed) = try openSealed(path: path)
        let payload = SliceSource(source, offset: BoxBackupFormat.payloadOffset, size: trailer.payloadSize)
        // The check reads every byte once; keeping the chain at each block on the way lets the
        // restore send without hashing again.
        let chain: ChainHash
        let indexed: IndexedSource
        do {
            let (index, computed) = try BlockChainIndex.of(payload)
            chain = computed
            indexed = IndexedSource(payload, index: index)
        } catch {
            throw BridgeError(.failure, "cannot read \(path): \(error)")
        }
        guard chain.bytes == trailer.chainBytes else {
            throw BundleFile.bridgeError(
                BundleError(.damagedBoxBackup(what: "its documents do not match the seal (a byte of them changed)")), path: path)
        }
        return (Verified(trailer: trailer, sealedTrailer: sealed, chain: chain), indexed)
    }

    /// The preamble and the sealed trailer only (the seal checked, the file's size consistent with
    /// them; the payload not read): what lists a backup on a stick without reading gigabytes.
    public static func readSealed(path: String) throws(BridgeError) -> BoxBackupTrailer {
        try openSealed(path: path).trailer
    }

    private static func openSealed(path: String) throws(BridgeError) -> (source: FileSource, trailer: BoxBackupTrailer, sealed: [UInt8]) {
        try InputFile.check(path, what: "box backup file")
        let source: FileSource
        do {
            source = try FileSource(path: path)
        } catch {
            throw BridgeError(.failure, "cannot open the box backup \(path): \(error)")
        }
        do {
            let head = try read(source, at: 0, count: Int(min(source.size, BoxBackupFormat.payloadOffset)))
            switch BoxBackupFormat.kind(ofPrefix: head) {
            case .boxBackup, .truncatedPreamble:
                try BoxBackupFormat.checkPreamble(head, fileSize: source.size)
            case .other:
                let tail = try read(source, at: source.size - min(source.size, 8), count: Int(min(source.size, 8)))
                throw tail == BoxBackupFormat.legacyEndMagic ? BundleError(.legacyBoxBackup) : BundleError(.notABundle)
            }
            let tailLength = Int(min(source.size - BoxBackupFormat.payloadOffset, UInt64(BoxBackupFormat.maxTrailerLength)))
            let tail = try read(source, at: source.size - UInt64(tailLength), count: tailLength)
            let (trailer, sealed) = try BoxBackupTrailer.locate(tail: tail, fileSize: source.size)
            return (source, trailer, sealed)
        } catch let error as BundleError {
            throw BundleFile.bridgeError(error, path: path)
        } catch {
            throw BridgeError(.failure, "cannot read \(path): \(error)")
        }
    }

    private static func read(_ source: FileSource, at offset: UInt64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { pointer in
            try Result { () throws(StreamError) in try source.read(at: offset, into: pointer) }.get()
        }
        return bytes
    }
}

/// What `mfpbridge verify` checks, for programs: a settings bundle (every part, every chunk with
/// its password) or a box backup (preamble, sealed trailer, every payload byte). Exit status 6 for
/// any damage, edit, truncation or wrong password (R8, R13).
public enum FileVerification {
    public enum Outcome: Sendable {
        case bundle(BundleContents)
        case boxBackup(BoxBackupFile.Verified)
    }

    public static func verify(path: String, password: String?) throws(BridgeError) -> Outcome {
        // A missing, unreadable or folder path is said as such, not as a damaged file.
        try InputFile.check(path, what: "bundle file")
        if BoxBackupFile.isBoxBackup(path: path) {
            return .boxBackup(try BoxBackupFile.verify(path: path).verified)
        }
        return .bundle(try BundleFile.read(path: path, password: password))
    }
}
