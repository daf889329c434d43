import Crypto
import MFPKit

/// Writes a bundle as a stream: the header at once, then the parts one at a time, every byte
/// handed to `sink` in pieces of at most one chunk (plus its tag). Memory: one part plus one chunk.
///
/// The methods throw `BundleError` when the content does not match the header or the password is
/// refused, and rethrow whatever `sink` throws unchanged.
public struct BundleWriter {
    public typealias Sink = (ArraySlice<UInt8>) throws -> Void

    /// The header as written (with its protection section when a password was given).
    public private(set) var header: BundleHeader
    private let layout: BundleLayout
    private let sink: Sink
    private let pieceSize: Int
    private let sealing: Sealing?
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var nextChunk = 0
    private var nextPart = 0
    private var finished = false

    private struct Sealing {
        var key: SymmetricKey
        var noncePrefix: [UInt8]
    }

    /// Starts a bundle and writes its header. `header.categories` lists every part that will be
    /// added, in order, with its item count and byte count.
    /// - Parameters:
    ///   - password: R13: 1 to 32 printable ASCII characters; `nil` for a bundle sealed by SHA-256 (R8).
    ///   - kdf: scrypt's cost, recorded in the header.
    ///   - chunkSize: plaintext bytes per encrypted chunk, and the size of the pieces handed to `sink`.
    public init(
        header: BundleHeader, password: String?, kdf: ScryptParameters = .standard,
        chunkSize: Int = BundleFormat.defaultChunkSize, sink: @escaping Sink
    ) throws {
        try self.init(
            header: header, password: password, kdf: kdf, chunkSize: chunkSize,
            salt: LoginProof.randomBytes(BundlePassword.saltLength),
            noncePrefix: LoginProof.randomBytes(BundlePassword.noncePrefixLength), sink: sink)
    }

    /// With a chosen salt and nonce prefix: only for tests and the worked examples of
    /// docs/bundle-format.md. Never reuse a salt and prefix for real bundles.
    init(
        header: BundleHeader, password: String?, kdf: ScryptParameters, chunkSize: Int,
        salt: [UInt8], noncePrefix: [UInt8], sink: @escaping Sink
    ) throws {
        guard BundleFormat.chunkSizeRange.contains(chunkSize) else {
            throw BundleError(.invalidContent("chunk size \(chunkSize) is out of range \(BundleFormat.chunkSizeRange)"))
        }
        var header = header
        header.formatVersion = BundleFormat.version
        header.protection = nil
        if let password {
            do {
                try kdf.validate()
            } catch {
                throw BundleError(
                    .invalidContent(
                        "scrypt N=\(kdf.n) r=\(kdf.r) p=\(kdf.p) is outside what readers accept (N a power of two up to 2^20, r 1-16, p 1-4, at most 256 MiB)"
                    ))
            }
            let keys = try BundlePassword.deriveKeys(password: password, salt: salt, parameters: kdf)
            header.protection = BundleHeader.Protection(
                cipher: BundleHeader.Protection.chacha20Poly1305, chunkSize: chunkSize, kdf: kdf,
                salt: salt.hexString, noncePrefix: noncePrefix.hexString, keyCheck: keys.check.hexString)
            sealing = Sealing(key: keys.encryption, noncePrefix: noncePrefix)
        } else {
            sealing = nil
        }
        do {
            try header.validate()
        } catch {
            throw BundleError(.invalidContent("the header is not valid: \(error.message)"))
        }
        let encoded = header.encoded()
        guard encoded.count - BundleFormat.preambleLength <= BundleFormat.maxHeaderLength else {
            throw BundleError(.invalidContent("the header is longer than \(BundleFormat.maxHeaderLength) bytes"))
        }
        let digest = Array(SHA256.hash(data: encoded))
        self.header = header
        self.layout = try BundleLayout(header: header, headerDigest: digest)
        self.sink = sink
        self.pieceSize = chunkSize
        try sink((encoded + digest)[...])
    }

    /// Adds the next part: the canonical content (`CanonicalContent.encode`) of the next category
    /// the header lists.
    public mutating func add(_ category: SettingCategory, bytes: [UInt8]) throws {
        guard !finished, nextPart < layout.entries.count else {
            throw BundleError(.invalidContent("part \(category.rawValue) is not listed in the header"))
        }
        let entry = layout.entries[nextPart]
        guard entry.category == category else {
            throw BundleError(.invalidContent("part \(category.rawValue) given where the header lists \(entry.category.rawValue) next"))
        }
        let lines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        guard bytes.count == entry.byteCount, lines == entry.itemCount else {
            throw BundleError(
                .invalidContent(
                    "part \(category.rawValue) has \(lines) items in \(bytes.count) bytes, the header says \(entry.itemCount) in \(entry.byteCount)"
                ))
        }
        var hasher = layout.partHasher(index: nextPart)
        hasher.update(data: bytes)
        pending += bytes
        pending += Array(hasher.finalize())
        nextPart += 1
        try flush(final: false)
    }

    /// Writes what is left (the last chunk). Every part the header lists must have been added.
    public mutating func finish() throws {
        guard !finished else { return }
        guard nextPart == layout.entries.count else {
            throw BundleError(.invalidContent("only \(nextPart) of the \(layout.entries.count) parts the header lists were added"))
        }
        try flush(final: true)
        finished = true
    }

    private mutating func flush(final: Bool) throws {
        if let sealing {
            while nextChunk < layout.chunkCount {
                let length = layout.chunkPlaintextLength(nextChunk)
                guard pending.count - pendingStart >= length else { break }
                let plaintext = pending[pendingStart..<(pendingStart + length)]
                let nonce = try! ChaChaPoly.Nonce(data: layout.nonce(prefix: sealing.noncePrefix, index: nextChunk))
                // Sealing with a valid key and nonce cannot fail.
                let box = try! ChaChaPoly.seal(
                    plaintext, using: sealing.key, nonce: nonce,
                    authenticating: layout.headerDigest)
                pendingStart += length
                nextChunk += 1
                try sink((Array(box.ciphertext) + Array(box.tag))[...])
            }
        } else {
            while pending.count - pendingStart >= pieceSize || (final && pending.count > pendingStart) {
                let end = min(pending.count, pendingStart + pieceSize)
                let piece = pending[pendingStart..<end]
                pendingStart = end
                try sink(piece)
            }
        }
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        } else if pendingStart > pieceSize {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
    }

    /// Writes a whole bundle of `snapshot`: `header` gives the source machine (its categories are
    /// replaced by the snapshot's, with their counts and sizes). Returns the header as written.
    @discardableResult
    public static func write(
        _ snapshot: SettingsSnapshot, header: BundleHeader, password: String?,
        kdf: ScryptParameters = .standard, chunkSize: Int = BundleFormat.defaultChunkSize,
        to sink: @escaping Sink
    ) throws -> BundleHeader {
        var writer = try BundleWriter(
            header: header.describing(snapshot), password: password, kdf: kdf,
            chunkSize: chunkSize, sink: sink)
        try writer.addAll(snapshot)
        return writer.header
    }

    /// As `write(_:header:password:kdf:chunkSize:to:)` with a chosen salt and nonce prefix: for
    /// tests and the seeded mutation campaign (MFPTestTools), whose files must be the same on every
    /// run. Never for real bundles.
    @discardableResult
    @_spi(TestTools) public static func write(
        _ snapshot: SettingsSnapshot, header: BundleHeader, password: String?, kdf: ScryptParameters,
        chunkSize: Int, salt: [UInt8], noncePrefix: [UInt8], to sink: @escaping Sink
    ) throws -> BundleHeader {
        var writer = try BundleWriter(
            header: header.describing(snapshot), password: password, kdf: kdf,
            chunkSize: chunkSize, salt: salt, noncePrefix: noncePrefix, sink: sink)
        try writer.addAll(snapshot)
        return writer.header
    }

    private mutating func addAll(_ snapshot: SettingsSnapshot) throws {
        for entry in header.categories {
            try add(entry.category, bytes: CanonicalContent.encode(snapshot[entry.category]))
        }
        try finish()
    }
}

extension BundleHeader {
    /// This header with the categories of `snapshot` (in `SettingCategory` order).
    func describing(_ snapshot: SettingsSnapshot) -> BundleHeader {
        var copy = self
        copy.categories =
            BundleHeader(
                model: model, series: series, firmware: firmware, displayLanguage: displayLanguage,
                sourceSerialNumber: sourceSerialNumber, createdAt: createdAt,
                describing: snapshot
            ).categories
        return copy
    }
}
