import Crypto
import Foundation
import MFPBundle

/// One mutant: the bytes and what was done to the original to get them.
public struct Mutant: Sendable {
    public var bytes: [UInt8]
    public var description: String
}

/// The mutations: each takes an original and a generator and returns a mutant, or nil when it
/// does not apply to that original (the campaign then draws another).
enum Mutation: CaseIterable {
    case bitFlips, truncateAnywhere, truncateNearBoundary, append, swapChunks, duplicateChunk, dropChunk
    case insertBytes, editField, editFieldRecomputingDigest, zeroRegion, empty, random

    static func draw(for original: CampaignOriginal, rng: inout SplitMix64) -> Mutant {
        if original.format == .random {
            return rng.below(10) == 0 ? Mutant(bytes: [], description: "empty file") : randomFile(&rng)
        }
        while true {
            let mutation = allCases[rng.below(allCases.count)]
            if let mutant = mutation.apply(to: original, rng: &rng), mutant.bytes != original.bytes { return mutant }
        }
    }

    func apply(to original: CampaignOriginal, rng: inout SplitMix64) -> Mutant? {
        var bytes = original.bytes
        let count = bytes.count
        switch self {
        case .bitFlips:
            guard count > 0 else { return nil }
            let flips = 1 + rng.below(3)
            var places: [String] = []
            for _ in 0..<flips {
                let at = rng.below(count), bit = rng.below(8)
                bytes[at] ^= 1 << bit
                places.append("\(at).\(bit) (\(region(at, original)))")
            }
            return Mutant(bytes: bytes, description: "bit flips at \(places.joined(separator: ", "))")
        case .truncateAnywhere:
            guard count > 0 else { return nil }
            let length = rng.below(count)
            return Mutant(
                bytes: Array(bytes[0..<length]), description: "cut to \(length) of \(count) bytes (in \(region(length, original)))")
        case .truncateNearBoundary:
            let boundaries = original.regions.flatMap { [$0.range.lowerBound, $0.range.upperBound] }
            guard let boundary = boundaries.pick(using: &rng) else { return nil }
            let length = min(count - 1, max(0, boundary + rng.below(7) - 3))
            return Mutant(
                bytes: Array(bytes[0..<length]),
                description: "cut to \(length) of \(count) bytes, near a region boundary (\(region(length, original)))")
        case .append:
            let extra = rng.below(3) == 0 ? Array(bytes.suffix(1 + rng.below(max(1, min(count, 100))))) : rng.bytes(1 + rng.below(64))
            return Mutant(bytes: bytes + extra, description: "\(extra.count) bytes appended")
        case .swapChunks, .duplicateChunk, .dropChunk:
            return chunkEdit(original, rng: &rng)
        case .insertBytes:
            let at = rng.below(count + 1)
            let inserted = rng.bytes(1 + rng.below(32))
            bytes.insert(contentsOf: inserted, at: at)
            return Mutant(bytes: bytes, description: "\(inserted.count) bytes inserted at \(at) (\(region(at, original)))")
        case .editField, .editFieldRecomputingDigest:
            return editField(original, recomputeDigest: self == .editFieldRecomputingDigest, rng: &rng)
        case .zeroRegion:
            guard let chosen = original.regions.filter({ !$0.range.isEmpty }).pick(using: &rng) else { return nil }
            for index in chosen.range { bytes[index] = 0 }
            return Mutant(bytes: bytes, description: "\(chosen.name) zeroed")
        case .empty:
            return Mutant(bytes: [], description: "empty file")
        case .random:
            return Self.randomFile(&rng)
        }
    }

    /// Random bytes; some start with a valid magic or a whole valid preamble.
    static func randomFile(_ rng: inout SplitMix64) -> Mutant {
        let starts: [(String, [UInt8])] = [
            ("no magic", []), ("bundle magic", BundleFormat.magic), ("bundle magic and version", BundleFormat.magic + [0, 1]),
            ("box backup preamble", BoxBackupFormat.preamble), ("box backup magic", BoxBackupFormat.magic),
            ("version-1 box backup end", []),
        ]
        let (name, start) = starts[rng.below(starts.count)]
        var bytes = start + rng.bytes(rng.below(2048))
        if name == "version-1 box backup end" { bytes += BoxBackupFormat.legacyEndMagic }
        if name == "box backup preamble", rng.below(2) == 0 { bytes += BoxBackupFormat.endMagic }
        return Mutant(bytes: bytes, description: "random file of \(bytes.count) bytes (\(name))")
    }

    /// Whole chunks moved (protected bundles: ciphertext and tag), or ranges of bytes for the others.
    private func chunkEdit(_ original: CampaignOriginal, rng: inout SplitMix64) -> Mutant? {
        var bytes = original.bytes
        let ranges: [Range<Int>]
        if let chunks = original.chunks {
            ranges = (0..<chunks.count).map { k in
                let start = chunks.start + k * chunks.length
                return start..<min(bytes.count, start + chunks.length)
            }
        } else {
            // Equal-length pieces of the file, at random.
            guard bytes.count >= 2 else { return nil }
            let length = 1 + rng.below(max(1, min(64, bytes.count / 2)))
            ranges = (0..<2).map { _ in
                let start = rng.below(bytes.count - length + 1)
                return start..<(start + length)
            }
        }
        guard !ranges.isEmpty else { return nil }
        let a = ranges[rng.below(ranges.count)], b = ranges[rng.below(ranges.count)]
        switch self {
        case .swapChunks:
            guard a != b, a.count == b.count, !a.overlaps(b) else { return nil }
            let first = Array(bytes[a]), second = Array(bytes[b])
            bytes.replaceSubrange(a, with: second)
            bytes.replaceSubrange(b, with: first)
            return Mutant(bytes: bytes, description: "\(a) and \(b) swapped")
        case .duplicateChunk:
            bytes.insert(contentsOf: Array(bytes[a]), at: a.upperBound)
            return Mutant(bytes: bytes, description: "\(a) duplicated")
        default:
            bytes.removeSubrange(a)
            return Mutant(bytes: bytes, description: "\(a) dropped")
        }
    }

    /// Edits a header or trailer field; with `recomputeDigest` the JSON's digest D is written anew
    /// (the outer seals, chunk tags and box seal are not).
    private func editField(_ original: CampaignOriginal, recomputeDigest: Bool, rng: inout SplitMix64) -> Mutant? {
        guard let place = original.json,
            var object = try? JSONSerialization.jsonObject(with: Data(original.bytes[place.range])) as? [String: Any]
        else { return nil }
        let field: String
        switch original.format {
        case .boxBackup:
            var origin = object["origin"] as? [String: Any] ?? [:]
            switch rng.below(7) {
            case 0: origin["language"] = "de-DE" == origin["language"] as? String ? "en-US" : "de-DE"; field = "origin.language"
            case 1: origin["model"] = "Meridian M3200"; field = "origin.model"
            case 2: origin["series"] = "Other"; field = "origin.series"
            case 3: object["documents"] = (object["documents"] as? Int ?? 0) + 1; field = "documents"
            case 4: object["payloadSize"] = (object["payloadSize"] as? Int ?? 0) + [1, -1, 1 << 40][rng.below(3)]; field = "payloadSize"
            case 5: object["payloadChain"] = String(repeating: "0", count: 64); field = "payloadChain"
            default: object["createdAt"] = "2030-01-01T00:00:00Z"; field = "createdAt"
            }
            object["origin"] = origin
        default:
            var categories = object["categories"] as? [[String: Any]] ?? []
            switch rng.below(8) {
            case 0:
                object["displayLanguage"] = object["displayLanguage"] as? String == "de-DE" ? "en-US" : "de-DE"; field = "displayLanguage"
            case 1: object["model"] = "Meridian M3200"; field = "model"
            case 2: object["sourceSerialNumber"] = "X"; field = "sourceSerialNumber"
            case 3 where !categories.isEmpty:
                categories[0]["itemCount"] = (categories[0]["itemCount"] as? Int ?? 0) + 1; field = "itemCount"
            case 4 where !categories.isEmpty:
                categories[0]["byteCount"] = (categories[0]["byteCount"] as? Int ?? 0) + [1, -1, 1 << 40][rng.below(3)]; field = "byteCount"
            case 5 where categories.count > 1:
                categories.swapAt(0, 1); field = "category order"
            case 6 where object["protection"] != nil:
                var protection = object["protection"] as? [String: Any] ?? [:]
                var kdf = protection["kdf"] as? [String: Any] ?? [:]
                // Raised, lowered or out of the reader's limits: each is bounded before any work.
                switch rng.below(6) {
                case 0: kdf["n"] = 1 << 21
                case 1: kdf["n"] = 1 << 20; kdf["r"] = 16
                case 2: kdf["n"] = 1024
                case 3: kdf["r"] = [0, 17, 2][rng.below(3)]
                case 4: kdf["p"] = [0, 5, 2][rng.below(3)]
                default: kdf["n"] = 3
                }
                protection["kdf"] = kdf
                if rng.below(2) == 0 { protection["chunkSize"] = [0, 1, 1 << 24 + 1, 64][rng.below(4)] }
                object["protection"] = protection
                field = "protection"
            default: object["createdAt"] = "2030-01-01T00:00:00Z"; field = "createdAt"
            }
            object["categories"] = categories
        }
        guard let json = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return nil
        }
        let newJSON = Array(json)
        var bytes = original.bytes
        bytes.replaceSubrange(place.range, with: newJSON)
        let delta = newJSON.count - place.range.count
        let length = UInt32(newJSON.count)
        let lengthBytes = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        // The length field sits before the JSON in a bundle, after it in a box backup.
        let lengthOffset = place.lengthOffset < place.range.lowerBound ? place.lengthOffset : place.lengthOffset + delta
        bytes.replaceSubrange(lengthOffset..<(lengthOffset + 4), with: lengthBytes)
        let digestOffset = place.digestOffset + delta
        if recomputeDigest {
            let covered =
                place.digestCoversPreamble
                ? Array(bytes[0..<(place.range.lowerBound + newJSON.count)])
                : newJSON
            bytes.replaceSubrange(digestOffset..<(digestOffset + 32), with: Array(SHA256.hash(data: covered)))
        }
        return Mutant(bytes: bytes, description: "\(field) edited\(recomputeDigest ? ", its digest D recomputed" : "")")
    }

    private func region(_ offset: Int, _ original: CampaignOriginal) -> String {
        original.regions.first { $0.range.contains(offset) }?.name ?? (offset >= original.bytes.count ? "the end" : "?")
    }
}

extension Array {
    func pick(using rng: inout SplitMix64) -> Element? {
        isEmpty ? nil : self[rng.below(count)]
    }
}
