import Foundation
import MFPKit

/// Constants of the bundle format (docs/bundle-format.md).
public enum BundleFormat {
    /// The format version this code writes and reads.
    public static let version = 1
    /// The first 8 bytes of every bundle: "MFPBUNDL".
    public static let magic: [UInt8] = Array("MFPBUNDL".utf8)
    /// Magic, version (UInt16 big-endian), header length (UInt32 big-endian).
    public static let preambleLength = 14
    /// A longer header is refused before it is read (it would not be a settings header).
    public static let maxHeaderLength = 1 << 20
    /// The plaintext bytes of one encrypted chunk, unless the writer is told otherwise.
    public static let defaultChunkSize = 64 * 1024
    /// Chunk sizes a reader accepts; bounds the memory a reader needs.
    public static let chunkSizeRange = 1...(16 << 20)
    /// SHA-256 digests (the header's, each part's).
    static let digestLength = 32
    /// ChaCha20-Poly1305 tag.
    static let tagLength = 16
}

/// The plain (readable without a password) but authenticated first part of a bundle: where the
/// settings come from and what the bundle holds.
public struct BundleHeader: Codable, Sendable, Hashable {
    /// Set by the writer: always `BundleFormat.version` for what this code writes.
    public internal(set) var formatVersion: Int
    public var model: String
    public var series: String
    public var firmware: String
    /// R7: imports are refused into a machine whose display language differs.
    public var displayLanguage: String
    public var sourceSerialNumber: String
    /// Whole seconds, UTC.
    public var createdAt: Date
    /// The parts, in the order they follow in the body: one per category.
    public var categories: [CategoryEntry]
    /// Set by the writer when a password is given (R13); `nil` for a bundle sealed by SHA-256 only (R8).
    public internal(set) var protection: Protection?

    public var isPasswordProtected: Bool { protection != nil }

    public struct CategoryEntry: Codable, Sendable, Hashable {
        public var category: SettingCategory
        public var itemCount: Int
        /// The length of the category's canonical content (`CanonicalContent.encode`).
        public var byteCount: Int

        public init(category: SettingCategory, itemCount: Int, byteCount: Int) {
            self.category = category
            self.itemCount = itemCount
            self.byteCount = byteCount
        }
    }

    /// How a password-protected bundle is sealed: everything a reader needs except the password.
    public struct Protection: Codable, Sendable, Hashable {
        /// Always "chacha20-poly1305" in version 1.
        public var cipher: String
        /// The plaintext bytes of every chunk but the last.
        public var chunkSize: Int
        public var kdf: ScryptParameters
        /// 16 random bytes, hex.
        public var salt: String
        /// 7 random bytes, hex: the first bytes of every chunk's nonce.
        public var noncePrefix: String
        /// 16 bytes derived from the password, hex: tells a wrong password from a damaged body.
        public var keyCheck: String
    }

    /// Creates a header; categories come in the order given, each once.
    public init(
        model: String, series: String, firmware: String, displayLanguage: String,
        sourceSerialNumber: String, createdAt: Date, categories: [CategoryEntry]
    ) {
        self.formatVersion = BundleFormat.version
        self.model = model
        self.series = series
        self.firmware = firmware
        self.displayLanguage = displayLanguage
        self.sourceSerialNumber = sourceSerialNumber
        self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
        self.categories = categories
        self.protection = nil
    }

    /// A header describing `snapshot`: its categories in `SettingCategory` order, with item counts
    /// and the sizes of their canonical content.
    public init(
        model: String, series: String, firmware: String, displayLanguage: String,
        sourceSerialNumber: String, createdAt: Date, describing snapshot: SettingsSnapshot
    ) {
        let entries = snapshot.categories.keys.sorted().map { category in
            let records = snapshot[category]
            return CategoryEntry(
                category: category, itemCount: records.count,
                byteCount: CanonicalContent.encode(records).count)
        }
        self.init(
            model: model, series: series, firmware: firmware, displayLanguage: displayLanguage,
            sourceSerialNumber: sourceSerialNumber, createdAt: createdAt, categories: entries)
    }
}

extension BundleHeader {
    /// The preamble and the header's JSON, exactly as written.
    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding plain strings and numbers cannot fail.
        let json = Array(try! encoder.encode(self))
        var out = BundleFormat.magic
        out.appendBigEndian(UInt16(BundleFormat.version))
        out.appendBigEndian(UInt32(json.count))
        return out + json
    }

    /// The header's JSON; `formatVersion` is the preamble's (already checked).
    static func decode(json: ArraySlice<UInt8>, version: Int) throws(BundleError) -> BundleHeader {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let header: BundleHeader
        do {
            header = try decoder.decode(BundleHeader.self, from: Data(json))
        } catch {
            throw .damaged("the header is not valid (\(error))")
        }
        guard header.formatVersion == version else {
            throw .damaged("the header says format version \(header.formatVersion) but the preamble says \(version)")
        }
        try header.validate()
        return header
    }

    /// What a reader needs to trust before it allocates or derives anything.
    func validate() throws(BundleError) {
        var seen = Set<SettingCategory>()
        for entry in categories {
            guard seen.insert(entry.category).inserted else {
                throw .damaged("the header lists \(entry.category.rawValue) twice")
            }
            guard (0...BundleLayout.maxPartLength).contains(entry.byteCount), entry.itemCount >= 0,
                entry.itemCount <= entry.byteCount
            else {
                throw .damaged("the header's sizes for \(entry.category.rawValue) are impossible")
            }
        }
        if let protection {
            guard protection.cipher == BundleHeader.Protection.chacha20Poly1305 else {
                throw .damaged("the header names an unknown cipher \"\(protection.cipher)\"")
            }
            guard BundleFormat.chunkSizeRange.contains(protection.chunkSize) else {
                throw .damaged("the header's chunk size \(protection.chunkSize) is out of range")
            }
            try protection.kdf.validate()
            guard [UInt8](hexString: protection.salt)?.count == BundlePassword.saltLength,
                [UInt8](hexString: protection.noncePrefix)?.count == BundlePassword.noncePrefixLength,
                [UInt8](hexString: protection.keyCheck)?.count == BundlePassword.keyCheckLength
            else {
                throw .damaged("the header's salt, nonce prefix or key check is malformed")
            }
        }
    }
}

extension BundleHeader.Protection {
    static let chacha20Poly1305 = "chacha20-poly1305"
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

extension Collection where Element == UInt8 {
    func bigEndianInteger<T: FixedWidthInteger>(_: T.Type) -> T {
        reduce(T.zero) { ($0 << 8) | T($1) }
    }
}
