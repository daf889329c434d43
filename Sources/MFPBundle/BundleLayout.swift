import Crypto
import MFPKit

/// Where everything lies in a bundle's body, computed from its (authenticated) header alone.
///
/// The body is, for each part in header order, the part's bytes then its 32-byte seal
/// `SHA-256(headerDigest || UInt32BE(index) || bytes)`. A protected bundle encrypts that body in
/// chunks of `chunkSize` plaintext bytes (the last one shorter, at least one chunk), each followed
/// by its 16-byte tag.
struct BundleLayout {
    static let maxPartLength = 1 << 48

    let headerDigest: [UInt8]
    let entries: [BundleHeader.CategoryEntry]
    /// Body offset of each part's first byte.
    let partStarts: [Int]
    let bodyLength: Int
    /// `nil` when the bundle is not encrypted.
    let chunkSize: Int?

    init(header: BundleHeader, headerDigest: [UInt8]) throws(BundleError) {
        self.headerDigest = headerDigest
        entries = header.categories
        var starts: [Int] = []
        var offset = 0
        for entry in entries {
            starts.append(offset)
            // Each byteCount is at most 2^48 (validated), so this cannot overflow for any
            // realistic count of categories; checked anyway.
            let (next, overflow) = offset.addingReportingOverflow(entry.byteCount + BundleFormat.digestLength)
            guard !overflow else { throw .damaged("the header's sizes add up to more than a file can hold") }
            offset = next
        }
        partStarts = starts
        bodyLength = offset
        chunkSize = header.protection?.chunkSize
        if let chunkSize, (bodyLength / chunkSize) >= Int(UInt32.max) {
            throw .damaged("the header's sizes need more chunks than the format can count")
        }
    }

    /// Encrypted chunks in the file: at least one, so that even an empty body has a last chunk.
    var chunkCount: Int {
        guard let chunkSize else { return 0 }
        return max(1, (bodyLength + chunkSize - 1) / chunkSize)
    }

    func chunkPlaintextLength(_ index: Int) -> Int {
        guard let chunkSize else { return 0 }
        return min(chunkSize, bodyLength - index * chunkSize)
    }

    /// The 12-byte nonce of chunk `index`: prefix (7) || UInt32BE(index) || last-chunk flag (1).
    func nonce(prefix: [UInt8], index: Int) -> [UInt8] {
        var nonce = prefix
        nonce.appendBigEndian(UInt32(index))
        nonce.append(index == chunkCount - 1 ? 1 : 0)
        return nonce
    }

    /// The seal of part `index`, computed as its bytes arrive.
    func partHasher(index: Int) -> SHA256 {
        var hasher = SHA256()
        hasher.update(data: headerDigest)
        var position: [UInt8] = []
        position.appendBigEndian(UInt32(index))
        hasher.update(data: position)
        return hasher
    }

    /// Names the part (or seal) that holds body bytes `range`, for error messages.
    func describe(bodyRange range: Range<Int>) -> String {
        var names: [String] = []
        for (index, entry) in entries.enumerated() {
            let start = partStarts[index]
            let end = start + entry.byteCount + BundleFormat.digestLength
            if range.lowerBound < end, start < max(range.upperBound, range.lowerBound + 1) {
                names.append(BundleLayout.name(entry.category))
            }
        }
        if names.isEmpty { return "no part" }
        return names.count == 1 ? "part \(names[0])" : "parts \(names.joined(separator: ", "))"
    }

    static func name(_ category: SettingCategory) -> String {
        "\(category.rawValue) (\(category.displayName))"
    }
}
