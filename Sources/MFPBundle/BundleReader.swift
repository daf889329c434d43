import Crypto
import MFPKit

/// One part of a bundle, verified: its bytes matched their seal (and decrypted, for a protected
/// bundle) and decoded into as many records as the header says.
public struct BundlePart: Sendable, Hashable {
    public var category: SettingCategory
    /// The canonical content, as stored.
    public var bytes: [UInt8]
    public var records: [SettingRecord]
}

/// Per category: what `mfpbridge inspect --json` shows.
public struct BundleCategorySummary: Codable, Sendable, Hashable {
    public var category: SettingCategory
    public var itemCount: Int
    public var byteCount: Int
    /// `CanonicalContent.digest` of the records: equal for two exports of unchanged settings,
    /// whatever their time, password or nonces.
    public var digest: String
}

/// A whole bundle, every byte verified.
public struct BundleContents: Sendable, Hashable {
    public var header: BundleHeader
    public var snapshot: SettingsSnapshot
    /// In header order.
    public var categories: [BundleCategorySummary]

    init(header: BundleHeader, parts: [BundlePart]) {
        self.header = header
        var snapshot = SettingsSnapshot()
        for part in parts { snapshot[part.category] = part.records }
        self.snapshot = snapshot
        self.categories = parts.map {
            BundleCategorySummary(
                category: $0.category, itemCount: $0.records.count, byteCount: $0.bytes.count,
                digest: CanonicalContent.digest($0.records))
        }
    }
}

/// Reads a bundle as a stream: feed it bytes as they come (`consume`), it returns each part as
/// soon as it is verified; call `finish()` at the end of the input. Memory: one chunk, one part
/// and the bytes of the latest `consume` not yet used.
///
/// A part returned before `finish()` succeeds is intact, but only `finish()` proves the bundle
/// is complete: commit nothing before it.
public struct BundleReader {
    /// Known once the header has arrived (and verified).
    public private(set) var header: BundleHeader?
    private let password: String?
    private var stage = Stage.preamble
    private var failure: BundleError?
    private var input: [UInt8] = []
    private var inputStart = 0
    private var consumedBefore = 0

    private var layout: BundleLayout?
    private var opening: Opening?
    private var nextChunk = 0
    private var bodyOffset = 0
    private var partIndex = 0
    private var partBytes: [UInt8] = []
    private var partHasher = SHA256()
    private var seal: [UInt8] = []

    private enum Stage { case preamble, body, done }

    private struct Opening {
        var key: SymmetricKey
        var noncePrefix: [UInt8]
    }

    /// - Parameter password: needed for a protected bundle (R13); ignored for one that is not.
    public init(password: String? = nil) {
        self.password = password
    }

    /// True once every byte the header announces has arrived and been verified.
    public var isComplete: Bool { stage == .done && failure == nil }

    /// Takes the next bytes of the bundle; returns the parts they complete. After a throw, every
    /// call throws the same error.
    public mutating func consume(_ bytes: some Collection<UInt8>) throws(BundleError) -> [BundlePart] {
        if let failure { throw failure }
        input.append(contentsOf: bytes)
        var parts: [BundlePart] = []
        do {
            try advance(into: &parts)
        } catch {
            failure = error
            input = []
            inputStart = 0
            throw error
        }
        if inputStart == input.count {
            consumedBefore += inputStart
            input.removeAll(keepingCapacity: true)
            inputStart = 0
        } else if inputStart >= 64 * 1024 {
            consumedBefore += inputStart
            input.removeFirst(inputStart)
            inputStart = 0
        }
        return parts
    }

    /// The end of the input: throws unless the whole bundle has arrived.
    public func finish() throws(BundleError) {
        if let failure { throw failure }
        let offset = consumedBefore + input.count
        switch stage {
        case .done:
            return
        case .preamble:
            if offset == 0 { throw .damaged("the file is empty") }
            guard let length = Self.headerLength(input[inputStart...]) else {
                throw .damaged("the file ends after \(offset) bytes, inside the preamble")
            }
            throw .damaged(
                "the file ends after \(offset) bytes, inside the header (\(BundleFormat.preambleLength + length + BundleFormat.digestLength) bytes long)"
            )
        case .body:
            let layout = layout!
            let place = layout.describe(bodyRange: bodyOffset..<bodyOffset)
            if layout.chunkSize != nil {
                throw .damaged(
                    "the file ends after \(offset) bytes, in chunk \(nextChunk + 1) of \(layout.chunkCount) (\(place)): truncated or chunks dropped"
                )
            }
            throw .damaged("the file ends after \(offset) bytes, in \(place): truncated")
        }
    }

    /// The header, from the first bytes of a bundle: `nil` when `prefix` is too short to hold it.
    /// Checks the header's own SHA-256 but nothing after it.
    public static func readHeader(prefix: some Collection<UInt8>) throws(BundleError) -> BundleHeader? {
        let bytes = Array(prefix)
        return try parseHeader(bytes[...])?.header
    }

    /// The header and the length of the whole bundle it describes (header, parts, seals and, when
    /// protected, each chunk's tag), from the first bytes: `nil` while `prefix` is too short. A file
    /// of any other length was cut short or had bytes added.
    public static func readHeaderAndLength(prefix: some Collection<UInt8>) throws(BundleError) -> (header: BundleHeader, length: Int)? {
        let bytes = Array(prefix)
        guard let (header, digest, length) = try parseHeader(bytes[...]) else { return nil }
        let layout = try BundleLayout(header: header, headerDigest: digest)
        return (header, length + layout.bodyLength + layout.chunkCount * BundleFormat.tagLength)
    }

    /// Reads and verifies a whole bundle held in memory.
    public static func read(_ bytes: some Collection<UInt8>, password: String?) throws(BundleError) -> BundleContents {
        var reader = BundleReader(password: password)
        let parts = try reader.consume(bytes)
        try reader.finish()
        return BundleContents(header: reader.header!, parts: parts)
    }

    /// Reads and verifies a whole bundle from a source of pieces (`nil` or empty at the end).
    /// Throws `BundleError`, or what `source` throws.
    public static func read(password: String?, from source: () throws -> [UInt8]?) throws -> BundleContents {
        var reader = BundleReader(password: password)
        var parts: [BundlePart] = []
        while let piece = try source(), !piece.isEmpty {
            parts += try reader.consume(piece)
        }
        try reader.finish()
        return BundleContents(header: reader.header!, parts: parts)
    }

    // MARK: - Stages

    private mutating func advance(into parts: inout [BundlePart]) throws(BundleError) {
        if stage == .preamble {
            guard let parsed = try Self.parseHeader(input[inputStart...]) else { return }
            try start(header: parsed.header, digest: parsed.digest)
            inputStart += parsed.length
        }
        if stage == .body, let layout {
            if let opening {
                try openChunks(layout: layout, opening: opening, into: &parts)
            } else {
                let take = min(input.count - inputStart, layout.bodyLength - bodyOffset)
                let range = inputStart..<(inputStart + take)
                inputStart += take
                try parse(input[range], layout: layout, into: &parts)
                if bodyOffset == layout.bodyLength { stage = .done }
            }
        }
        if stage == .done, inputStart < input.count {
            throw .damaged(
                "\(input.count - inputStart) unexpected bytes after the end of the bundle (at byte \(consumedBefore + inputStart))")
        }
    }

    private mutating func start(header: BundleHeader, digest: [UInt8]) throws(BundleError) {
        let layout = try BundleLayout(header: header, headerDigest: digest)
        if let protection = header.protection {
            guard let password else { throw BundleError(.passwordRequired) }
            // Validated by parseHeader: the hex fields decode.
            let keys = try BundlePassword.deriveKeys(
                password: password, salt: [UInt8](hexString: protection.salt)!,
                parameters: protection.kdf)
            let expected = [UInt8](hexString: protection.keyCheck)!
            guard zip(keys.check, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else {
                throw BundleError(.wrongPassword)
            }
            opening = Opening(key: keys.encryption, noncePrefix: [UInt8](hexString: protection.noncePrefix)!)
        }
        self.header = header
        self.layout = layout
        stage = layout.bodyLength == 0 && opening == nil ? .done : .body
        partHasher = layout.partHasher(index: 0)
    }

    private mutating func openChunks(layout: BundleLayout, opening: Opening, into parts: inout [BundlePart]) throws(BundleError) {
        while nextChunk < layout.chunkCount {
            let plaintextLength = layout.chunkPlaintextLength(nextChunk)
            let length = plaintextLength + BundleFormat.tagLength
            guard input.count - inputStart >= length else { return }
            let ciphertext = input[inputStart..<(inputStart + plaintextLength)]
            let tag = input[(inputStart + plaintextLength)..<(inputStart + length)]
            let plaintext: [UInt8]
            do {
                let nonce = try ChaChaPoly.Nonce(data: layout.nonce(prefix: opening.noncePrefix, index: nextChunk))
                let box = try ChaChaPoly.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
                plaintext = Array(try ChaChaPoly.open(box, using: opening.key, authenticating: layout.headerDigest))
            } catch {
                let start = layout.chunkSize! * nextChunk
                let place = layout.describe(bodyRange: start..<(start + plaintextLength))
                throw .damaged(
                    "chunk \(nextChunk + 1) of \(layout.chunkCount) (at byte \(consumedBefore + inputStart), \(place)) failed authentication: changed, moved, repeated or not from this bundle"
                )
            }
            inputStart += length
            nextChunk += 1
            try parse(plaintext[...], layout: layout, into: &parts)
        }
        stage = .done
    }

    /// The body's plaintext: each part's bytes, then its seal.
    private mutating func parse(_ bytes: ArraySlice<UInt8>, layout: BundleLayout, into parts: inout [BundlePart]) throws(BundleError) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let entry = layout.entries[partIndex]
            if partBytes.count < entry.byteCount {
                let take = min(entry.byteCount - partBytes.count, bytes.endIndex - index)
                let piece = bytes[index..<(index + take)]
                partBytes += piece
                partHasher.update(data: piece)
                index += take
                bodyOffset += take
                continue
            }
            let take = min(BundleFormat.digestLength - seal.count, bytes.endIndex - index)
            seal += bytes[index..<(index + take)]
            index += take
            bodyOffset += take
            if seal.count == BundleFormat.digestLength {
                parts.append(try completePart(entry: entry, layout: layout))
            }
        }
    }

    private mutating func completePart(entry: BundleHeader.CategoryEntry, layout: BundleLayout) throws(BundleError) -> BundlePart {
        let name = BundleLayout.name(entry.category)
        guard Array(partHasher.finalize()) == seal else {
            throw .damaged("part \(name) does not match its SHA-256 seal: changed, moved or not from this bundle")
        }
        let records: [SettingRecord]
        do {
            records = try CanonicalContent.decode(partBytes)
        } catch {
            throw .damaged("part \(name) is not valid content: \(error.message)")
        }
        guard records.count == entry.itemCount else {
            throw .damaged("part \(name) holds \(records.count) items, the header says \(entry.itemCount)")
        }
        let part = BundlePart(category: entry.category, bytes: partBytes, records: records)
        partIndex += 1
        partBytes = []
        seal = []
        if partIndex < layout.entries.count {
            partHasher = layout.partHasher(index: partIndex)
        }
        return part
    }

    // MARK: - Header

    private static func headerLength(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= BundleFormat.preambleLength else { return nil }
        let start = bytes.startIndex
        return Int(bytes[(start + 10)..<(start + 14)].bigEndianInteger(UInt32.self))
    }

    /// `nil` while more bytes are needed; otherwise the header, its digest and the bytes it took.
    private static func parseHeader(_ bytes: ArraySlice<UInt8>) throws(BundleError) -> (header: BundleHeader, digest: [UInt8], length: Int)?
    {
        let start = bytes.startIndex
        let magicCount = min(bytes.count, BundleFormat.magic.count)
        guard bytes.prefix(magicCount).elementsEqual(BundleFormat.magic.prefix(magicCount)) else {
            throw BundleError(.notABundle)
        }
        guard bytes.count >= BundleFormat.preambleLength else { return nil }
        let version = Int(bytes[(start + 8)..<(start + 10)].bigEndianInteger(UInt16.self))
        guard version == BundleFormat.version else { throw BundleError(.unsupportedVersion(version)) }
        let jsonLength = headerLength(bytes)!
        guard (2...BundleFormat.maxHeaderLength).contains(jsonLength) else {
            throw .damaged("the preamble gives an impossible header length (\(jsonLength) bytes)")
        }
        let headerEnd = start + BundleFormat.preambleLength + jsonLength
        let total = BundleFormat.preambleLength + jsonLength + BundleFormat.digestLength
        guard bytes.count >= total else { return nil }
        let digest = Array(SHA256.hash(data: bytes[start..<headerEnd]))
        guard bytes[headerEnd..<(headerEnd + BundleFormat.digestLength)].elementsEqual(digest) else {
            throw .damaged("the header (bytes 0-\(total - 1)) does not match its SHA-256")
        }
        let header = try BundleHeader.decode(json: bytes[(start + BundleFormat.preambleLength)..<headerEnd], version: version)
        return (header, digest, total)
    }
}
