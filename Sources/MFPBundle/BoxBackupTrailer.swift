import Crypto
import Foundation
import MFPKit

/// The box backup format, version 2 (docs/bundle-format.md, "Box backups"): a 16-byte preamble,
/// the device's box document stream byte for byte, then a sealed trailer. Pure: bytes in, bytes out.
///
/// ```
/// preamble (16) || payload (S) || JSON (L) || D (32) || seal (32) || L (u32) || "MFPBOXE2"
/// D    = SHA-256(JSON)
/// seal = SHA-256("mfpbridge box backup v2 seal" || D || payload chain (32) || UInt64(S))
/// ```
///
/// A file that starts with the preamble is a box backup: any later problem is reported as a
/// damaged, cut or extended box backup.
public enum BoxBackupFormat {
    public static let version: UInt16 = 2
    public static let magic: [UInt8] = Array("MFPBOXB2".utf8)
    public static let endMagic: [UInt8] = Array("MFPBOXE2".utf8)
    /// The end of a version-1 box backup (payload || JSON || u32 || magic), whose JSON was not sealed.
    public static let legacyEndMagic: [UInt8] = Array("MFPBOXT1".utf8)
    /// magic (8) || version (u16) || 6 reserved zero bytes.
    public static let preamble: [UInt8] = magic + [UInt8(version >> 8), UInt8(version & 0xFF)] + [UInt8](repeating: 0, count: 6)
    /// Where the payload starts.
    public static let payloadOffset = UInt64(preamble.count)
    /// D, seal, length and end magic after the trailer JSON.
    public static let fixedTailLength = 32 + 32 + 4 + 8
    /// The most trailer JSON a reader accepts.
    public static let maxJSONLength = 64 * 1024
    /// The most a trailer (JSON and fixed tail) takes at the end of a file.
    public static let maxTrailerLength = maxJSONLength + fixedTailLength
    static let sealDomain: [UInt8] = Array("mfpbridge box backup v2 seal".utf8)

    /// What the first bytes of a file say it is.
    public enum Kind: Sendable, Equatable {
        /// Starts with the full preamble magic.
        case boxBackup
        /// Shorter than the magic, and every byte it has is the magic's (beyond the `MFPB` it shares
        /// with bundles): a box backup cut short.
        case truncatedPreamble
        /// Anything else (a bundle, or not ours).
        case other
    }

    public static func kind(ofPrefix prefix: some Collection<UInt8>) -> Kind {
        let bytes = Array(prefix.prefix(magic.count))
        if bytes == magic { return .boxBackup }
        if bytes.count > 4, bytes.count < magic.count, Array(magic.prefix(bytes.count)) == bytes { return .truncatedPreamble }
        return .other
    }

    /// The seal that binds the trailer's digest to the payload's chain and size.
    public static func seal(digest: [UInt8], chain: [UInt8], size: UInt64) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: sealDomain)
        hash.update(data: digest)
        hash.update(data: chain)
        hash.update(data: (0..<8).map { UInt8(truncatingIfNeeded: size >> (56 - 8 * $0)) })
        return Array(hash.finalize())
    }

    /// Checks the preamble (the first 16 bytes of the file, or fewer when it is shorter).
    public static func checkPreamble(_ bytes: some Collection<UInt8>, fileSize: UInt64) throws(BundleError) {
        let bytes = Array(bytes.prefix(preamble.count))
        guard bytes.count == preamble.count else {
            throw .damagedBoxBackup(
                "the box backup was cut short: the file ends after \(fileSize) bytes, inside its \(preamble.count)-byte preamble")
        }
        let version = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        guard version == Self.version else {
            throw .damagedBoxBackup(
                "its preamble gives format version \(version), and box backups are version \(Self.version): the preamble was changed or the file comes from another program"
            )
        }
        guard bytes == preamble else {
            throw .damagedBoxBackup("its preamble was changed (reserved bytes are not zero)")
        }
    }
}

/// A box backup's description: the sealed trailer's JSON. Read only through ``open(sealed:)`` or
/// ``locate(tail:fileSize:)``, which check its digest and seal first (R8).
public struct BoxBackupTrailer: Codable, Sendable, Hashable {
    public static let formatVersion = 2

    public var formatVersion: Int
    public var origin: BundleOrigin
    public var createdAt: Date
    public var documents: Int
    public var payloadSize: UInt64
    /// The stream's SHA-256 block chain over the payload, hex (docs/protocol.md, "Resumable streams").
    public var payloadChain: String

    public init(origin: BundleOrigin, createdAt: Date, documents: Int, payloadSize: UInt64, payloadChain: String) {
        self.formatVersion = Self.formatVersion
        self.origin = origin
        self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
        self.documents = documents
        self.payloadSize = payloadSize
        self.payloadChain = payloadChain
    }

    /// The chain as 32 bytes; nil when the hex is not that.
    public var chainBytes: [UInt8]? {
        let text = Array(payloadChain.utf8)
        guard text.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(text[index]), let low = Self.nibble(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// The trailer JSON: sorted keys, no spaces.
    public func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Plain strings and numbers always encode.
        return Array(try! encoder.encode(self))
    }

    /// The sealed trailer: JSON || D || seal || L || end magic. Goes after the payload, and is
    /// what `box-import-begin` carries to the device.
    public func sealed() -> [UInt8] {
        let json = json()
        let digest = Array(SHA256.hash(data: json))
        let seal = BoxBackupFormat.seal(digest: digest, chain: chainBytes ?? [], size: payloadSize)
        let length = UInt32(json.count)
        return json + digest + seal + [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + BoxBackupFormat.endMagic
    }

    /// Opens a sealed trailer on its own (the device's check at `box-import-begin`): its length,
    /// end magic, digest D and seal, in that order. Nothing of the JSON is used before D matches.
    public static func open(sealed bytes: some Collection<UInt8>) throws(BundleError) -> BoxBackupTrailer {
        let bytes = Array(bytes)
        let fixed = BoxBackupFormat.fixedTailLength
        guard bytes.count > fixed, Array(bytes.suffix(8)) == BoxBackupFormat.endMagic else {
            throw .damagedBoxBackup("its trailer is cut short or does not end with the end mark")
        }
        let length = bytes[(bytes.count - 12)..<(bytes.count - 8)].reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= BoxBackupFormat.maxJSONLength, length + fixed == bytes.count else {
            throw .damagedBoxBackup("its trailer length (\(length)) does not match the trailer (\(bytes.count) bytes)")
        }
        return try parse(json: bytes[0..<length], digest: bytes[length..<(length + 32)], seal: bytes[(length + 32)..<(length + 64)])
    }

    /// Finds and opens the trailer at the end of a box backup of `fileSize` bytes, whose last bytes
    /// are `tail` (at least the trailer: up to ``BoxBackupFormat/maxTrailerLength``). Checks the
    /// end, the length, D, the seal and that preamble, payload and trailer make up the whole file.
    /// Returns the trailer and its sealed bytes.
    public static func locate(tail: [UInt8], fileSize: UInt64) throws(BundleError) -> (trailer: BoxBackupTrailer, sealed: [UInt8]) {
        guard Array(tail.suffix(8)) == BoxBackupFormat.endMagic else {
            if let extra = bytesAfterEnd(tail: tail, fileSize: fileSize) {
                throw .damagedBoxBackup("\(extra) bytes after its end (the file was extended)")
            }
            throw .damagedBoxBackup("the box backup was cut short: the file (\(fileSize) bytes) does not end with its end mark")
        }
        return try locateEnding(tail: tail, fileSize: fileSize)
    }

    /// `locate` for a tail that ends with the end mark.
    private static func locateEnding(tail: [UInt8], fileSize: UInt64) throws(BundleError) -> (trailer: BoxBackupTrailer, sealed: [UInt8]) {
        let fixed = BoxBackupFormat.fixedTailLength
        let start = BoxBackupFormat.payloadOffset
        guard fileSize > start + UInt64(fixed), tail.count >= 12 else {
            throw .damagedBoxBackup("the box backup was cut short: \(fileSize) bytes cannot hold its preamble and trailer")
        }
        let length = tail[(tail.count - 12)..<(tail.count - 8)].reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= BoxBackupFormat.maxJSONLength, UInt64(length + fixed) <= fileSize - start,
            length + fixed <= tail.count
        else {
            throw .damagedBoxBackup("its trailer length (\(length)) is impossible for a file of \(fileSize) bytes")
        }
        let sealed = Array(tail.suffix(length + fixed))
        let trailer = try open(sealed: sealed)
        guard trailer.payloadSize <= fileSize else {
            throw .damagedBoxBackup(
                "the box backup was cut short: it is \(fileSize) bytes, its sealed trailer says the documents alone are \(trailer.payloadSize)"
            )
        }
        let expected = start + trailer.payloadSize + UInt64(sealed.count)
        if expected > fileSize {
            throw .damagedBoxBackup("the box backup was cut short: it is \(fileSize) bytes, its sealed trailer accounts for \(expected)")
        }
        if expected < fileSize {
            throw .damagedBoxBackup(
                "\(fileSize - expected) bytes more than its sealed trailer accounts for (\(expected)): bytes were inserted or the file was extended"
            )
        }
        return (trailer, sealed)
    }

    /// When the file does not end with the end mark: the bytes after the last end mark in `tail`
    /// whose trailer opens, if one does (bytes appended after a complete backup).
    private static func bytesAfterEnd(tail: [UInt8], fileSize: UInt64) -> UInt64? {
        let mark = BoxBackupFormat.endMagic
        var end = tail.count - 1
        while end >= BoxBackupFormat.fixedTailLength {
            if tail[end] == mark[7], tail[end - 7] == mark[0], Array(tail[(end - 7)...end]) == mark,
                (try? locateEnding(tail: Array(tail[...end]), fileSize: fileSize - UInt64(tail.count - 1 - end))) != nil
            {
                return UInt64(tail.count - 1 - end)
            }
            end -= 1
        }
        return nil
    }

    private static func parse(json: ArraySlice<UInt8>, digest: ArraySlice<UInt8>, seal: ArraySlice<UInt8>) throws(BundleError)
        -> BoxBackupTrailer
    {
        guard Array(SHA256.hash(data: Array(json))) == Array(digest) else {
            throw .damagedBoxBackup("its trailer was edited or damaged: the description does not match its digest")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let trailer = try? decoder.decode(BoxBackupTrailer.self, from: Data(json)) else {
            throw .damagedBoxBackup("its trailer was edited: the description is not readable")
        }
        guard trailer.formatVersion == formatVersion, let chain = trailer.chainBytes,
            BoxBackupFormat.seal(digest: Array(digest), chain: chain, size: trailer.payloadSize) == Array(seal)
        else {
            throw .damagedBoxBackup("its trailer was edited: its digest, payload size and chain do not match the seal")
        }
        guard trailer.documents >= 0 else {
            throw .damagedBoxBackup("its trailer was edited: a negative document count")
        }
        return trailer
    }
}

extension BundleError {
    static func damagedBoxBackup(_ what: String) -> BundleError { BundleError(.damagedBoxBackup(what: what)) }
}
