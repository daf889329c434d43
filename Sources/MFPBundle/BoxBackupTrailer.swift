import Foundation
import MFPKit

/// A box backup file (`mfpbridge box-backup`): the device's box document stream as it arrived,
/// byte for byte, then this trailer: its JSON, the JSON's length (u32, big-endian) and the magic
/// `MFPBOXT1`. The trailer's chain hash seals the payload (R8): `verify` recomputes it.
/// The payload comes first so that a resumed transfer writes it in place, at its offsets.
public struct BoxBackupTrailer: Codable, Sendable, Hashable {
    public static let magic: [UInt8] = Array("MFPBOXT1".utf8)
    public static let formatVersion = 1

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

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // Plain strings and numbers always encode.
        let json = Array(try! encoder.encode(self))
        let length = UInt32(json.count)
        return json + [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + Self.magic
    }

    /// Decodes the trailer from the file's last bytes (`tail` holds at least the trailer) and checks
    /// that it accounts for the whole file.
    public static func decode(tail: [UInt8], fileSize: UInt64) throws(BundleError) -> BoxBackupTrailer {
        guard tail.count >= 12, Array(tail.suffix(8)) == magic else { throw BundleError(.notABundle) }
        let lengthBytes = tail[(tail.count - 12)..<(tail.count - 8)]
        let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= tail.count - 12 else {
            throw BundleError(.damaged(what: "the box backup's trailer length is impossible"))
        }
        let json = tail[(tail.count - 12 - length)..<(tail.count - 12)]
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let trailer = try? decoder.decode(BoxBackupTrailer.self, from: Data(json)) else {
            throw BundleError(.damaged(what: "the box backup's trailer is not readable"))
        }
        guard trailer.formatVersion == formatVersion else { throw BundleError(.unsupportedVersion(trailer.formatVersion)) }
        guard trailer.payloadSize + UInt64(length) + 12 == fileSize else {
            throw BundleError(.damaged(what: "the box backup is \(fileSize) bytes, its trailer accounts for \(trailer.payloadSize + UInt64(length) + 12): it was cut or extended"))
        }
        return trailer
    }

    /// The most a trailer can take at the end of a file.
    public static let maxLength = 64 * 1024
}
