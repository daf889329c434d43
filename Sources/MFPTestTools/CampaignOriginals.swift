import BridgeTransfer
import Foundation
@_spi(TestTools) import MFPBundle
import MFPKit

/// The file formats the mutation campaign attacks.
public enum CampaignFormat: String, CaseIterable, Sendable {
    /// A settings bundle without a password (`export`).
    case bundle
    /// A password-protected settings bundle (`export --password-file`), with a cheap scrypt.
    case protectedBundle = "protected-bundle"
    /// A box backup, format 2 (`box-backup`).
    case boxBackup = "box-backup"
    /// What `import` saves before applying and `rollback` reads.
    case snapshot
    /// Empty files and random bytes, some starting with a valid magic.
    case random
}

/// A region of an original file, for truncations at its boundaries and zeroed regions.
public struct FileRegion: Sendable {
    public var name: String
    public var range: Range<Int>
}

/// One original file, with its regions and (protected bundles) its chunk layout.
public struct CampaignOriginal: Sendable {
    public var format: CampaignFormat
    public var bytes: [UInt8]
    public var password: String?
    public var regions: [FileRegion]
    /// Protected bundles: where the encrypted chunks start, and each one's length (the last shorter).
    public var chunks: (start: Int, length: Int, count: Int)?
    /// Where the header/trailer JSON lies, and how its length field is written.
    public var json: JSONPlace?

    public struct JSONPlace: Sendable {
        /// The JSON's range in the file.
        public var range: Range<Int>
        /// Where its u32 length is written.
        public var lengthOffset: Int
        /// Where its digest D is written (32 bytes), and the bytes it covers (as offsets after an edit).
        public var digestOffset: Int
        /// D covers the preamble too (bundles: bytes 0 to the end of the JSON) or only the JSON (box backups).
        public var digestCoversPreamble: Bool
    }
}

/// Builds the campaign's original files, the same bytes for the same seed.
public enum CampaignOriginals {
    static let password = "campaign-password"
    /// A tiny scrypt cost so that a mutant costs milliseconds; the reader accepts any power of two.
    static let cheapKDF = ScryptParameters(n: 16, r: 1, p: 1)

    static let origins = [
        BundleOrigin(
            model: "Aurora C5540i", series: "Aurora C5500", firmware: "41.02.7", language: "en-US", serialNumber: "AUR5540-000731"),
        BundleOrigin(
            model: "Meridian M3200", series: "Meridian M3000", firmware: "12.4.0", language: "de-DE", serialNumber: "MER3200-004410"),
    ]

    public static func make(_ format: CampaignFormat, variant: Int, rng: inout SplitMix64) throws -> CampaignOriginal {
        let origin = origins[variant % origins.count]
        let created = Date(timeIntervalSince1970: 1_767_225_600 + Double(variant) * 86_400)
        switch format {
        case .bundle, .snapshot:
            return try bundle(
                format, origin: origin, created: created, snapshot: snapshot(variant: variant, rng: &rng),
                password: nil, chunkSize: BundleFormat.defaultChunkSize, rng: &rng)
        case .protectedBundle:
            return try bundle(
                format, origin: origin, created: created, snapshot: snapshot(variant: variant, rng: &rng),
                password: password, chunkSize: [32, 100, 512][variant % 3], rng: &rng)
        case .boxBackup:
            return boxBackup(origin: origin, created: created, size: [0, 1, 700, 5000][variant % 4] + rng.below(300), rng: &rng)
        case .random:
            return CampaignOriginal(format: .random, bytes: [], password: nil, regions: [], chunks: nil, json: nil)
        }
    }

    /// Small settings: a few categories of a few records (snapshots hold others than bundles).
    static func snapshot(variant: Int, rng: inout SplitMix64) -> SettingsSnapshot {
        var snapshot = SettingsSnapshot()
        let categories: [SettingCategory] = [.addressBook, .paperTypes, .settingsRegistration, .securityPolicy]
        for (index, category) in categories.enumerated() where (variant + index) % 3 != 2 {
            snapshot[category] = (0..<(1 + rng.below(4))).map { item in
                SettingRecord(
                    id: "\(category.rawValue)-\(variant)-\(item)",
                    fields: ["name": "entry \(item)", "value": String(rng.next() % 100_000)])
            }
        }
        if snapshot.categories.isEmpty { snapshot[.paperTypes] = [SettingRecord(id: "plain", fields: ["weight": "80"])] }
        return snapshot
    }

    static func bundle(
        _ format: CampaignFormat, origin: BundleOrigin, created: Date, snapshot: SettingsSnapshot,
        password: String?, chunkSize: Int, rng: inout SplitMix64
    ) throws -> CampaignOriginal {
        let header = BundleHeader(
            model: origin.model, series: origin.series, firmware: origin.firmware,
            displayLanguage: origin.language, sourceSerialNumber: origin.serialNumber,
            createdAt: created, describing: snapshot)
        var bytes: [UInt8] = []
        let salt = (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let prefix = (0..<7).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try BundleWriter.write(
            snapshot, header: header, password: password, kdf: cheapKDF, chunkSize: chunkSize,
            salt: salt, noncePrefix: prefix
        ) { bytes += $0 }
        guard var original = parse(bytes, password: password) else {
            preconditionFailure("the campaign's region map does not cover the bundle it wrote")
        }
        original.format = format
        return original
    }

    /// The regions of an existing bundle or box backup (real exports, for the end-to-end sample);
    /// nil when the file is neither, or its layout does not add up.
    public static func parse(_ bytes: [UInt8], password: String?) -> CampaignOriginal? {
        if Array(bytes.prefix(8)) == BoxBackupFormat.magic { return parseBoxBackup(bytes) }
        guard bytes.count >= BundleFormat.preambleLength, Array(bytes.prefix(8)) == BundleFormat.magic else { return nil }
        let length = Int(bytes[10]) << 24 | Int(bytes[11]) << 16 | Int(bytes[12]) << 8 | Int(bytes[13])
        let headerEnd = BundleFormat.preambleLength + length
        guard headerEnd + 32 <= bytes.count,
            let header = try? JSONSerialization.jsonObject(with: Data(bytes[14..<headerEnd])) as? [String: Any],
            let categories = header["categories"] as? [[String: Any]]
        else { return nil }
        var regions = [
            FileRegion(name: "magic", range: 0..<8), FileRegion(name: "version", range: 8..<10),
            FileRegion(name: "header length", range: 10..<14), FileRegion(name: "header JSON", range: 14..<headerEnd),
            FileRegion(name: "header digest", range: headerEnd..<(headerEnd + 32)),
        ]
        var at = headerEnd + 32
        var chunks: (start: Int, length: Int, count: Int)?
        let sizes = categories.map { ($0["category"] as? String ?? "?", $0["byteCount"] as? Int ?? 0) }
        if let protection = header["protection"] as? [String: Any] {
            guard let chunkSize = protection["chunkSize"] as? Int, chunkSize > 0 else { return nil }
            let body = sizes.reduce(0) { $0 + $1.1 + 32 }
            let count = max(1, (body + chunkSize - 1) / chunkSize)
            chunks = (at, chunkSize + 16, count)
            for k in 0..<count {
                let plain = k == count - 1 ? body - chunkSize * (count - 1) : chunkSize
                regions.append(FileRegion(name: "chunk \(k + 1) ciphertext", range: at..<(at + plain)))
                regions.append(FileRegion(name: "chunk \(k + 1) tag", range: (at + plain)..<(at + plain + 16)))
                at += plain + 16
            }
        } else {
            for (name, size) in sizes {
                regions.append(FileRegion(name: "part \(name)", range: at..<(at + size)))
                regions.append(FileRegion(name: "seal \(name)", range: (at + size)..<(at + size + 32)))
                at += size + 32
            }
        }
        guard at == bytes.count else { return nil }
        return CampaignOriginal(
            format: chunks == nil ? .bundle : .protectedBundle, bytes: bytes, password: password,
            regions: regions, chunks: chunks,
            json: .init(range: 14..<headerEnd, lengthOffset: 10, digestOffset: headerEnd, digestCoversPreamble: true))
    }

    static func parseBoxBackup(_ bytes: [UInt8]) -> CampaignOriginal? {
        let p = BoxBackupFormat.preamble.count, fixed = BoxBackupFormat.fixedTailLength
        guard bytes.count >= p + fixed else { return nil }
        let length = bytes[(bytes.count - 12)..<(bytes.count - 8)].reduce(0) { $0 << 8 | Int($1) }
        let size = bytes.count - p - fixed - length
        guard length > 0, size >= 0 else { return nil }
        let json = (p + size)..<(p + size + length)
        let regions = [
            FileRegion(name: "preamble magic", range: 0..<8), FileRegion(name: "preamble version", range: 8..<10),
            FileRegion(name: "preamble reserved", range: 10..<16), FileRegion(name: "payload", range: p..<(p + size)),
            FileRegion(name: "trailer JSON", range: json),
            FileRegion(name: "trailer digest", range: json.upperBound..<(json.upperBound + 32)),
            FileRegion(name: "seal", range: (json.upperBound + 32)..<(json.upperBound + 64)),
            FileRegion(name: "trailer length", range: (json.upperBound + 64)..<(json.upperBound + 68)),
            FileRegion(name: "end magic", range: (json.upperBound + 68)..<(json.upperBound + 76)),
        ]
        return CampaignOriginal(
            format: .boxBackup, bytes: bytes, password: nil, regions: regions, chunks: nil,
            json: .init(
                range: json, lengthOffset: json.upperBound + 64, digestOffset: json.upperBound,
                digestCoversPreamble: false))
    }

    static func boxBackup(origin: BundleOrigin, created: Date, size: Int, rng: inout SplitMix64) -> CampaignOriginal {
        let payload = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let chain = StreamChain.hash(of: payload)
        let trailer = BoxBackupTrailer(
            origin: origin, createdAt: created, documents: size / 97, payloadSize: UInt64(size),
            payloadChain: chain.bytes.map { String(format: "%02x", $0) }.joined()
        ).sealed()
        // The layout is the format's own: parsing it back checks the region map.
        return parseBoxBackup(BoxBackupFormat.preamble + payload + trailer)!
    }
}
