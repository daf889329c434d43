import Foundation
import MFPKit
import Testing

@testable import MFPBundle

@Suite("Bundles: round trips and streaming")
struct BundleRoundTripTests {
    @Test("R8: an unprotected bundle reads back exactly", arguments: [1, 7, 64, BundleFormat.defaultChunkSize])
    func unprotectedRoundTrip(chunkSize: Int) throws {
        let bytes = try Fixtures.bundle(chunkSize: chunkSize)
        let contents = try BundleReader.read(bytes, password: nil)
        #expect(contents.snapshot == Fixtures.snapshot)
        #expect(contents.header.model == "Aurora C5540i")
        #expect(contents.header.protection == nil)
        #expect(contents.header.categories.map(\.category) == [.addressBook, .paperTypes, .favorites])
        #expect(contents.header.categories.map(\.itemCount) == [2, 1, 0])
    }

    @Test("R13: a protected bundle reads back exactly with its password", arguments: [1, 7, 64, BundleFormat.defaultChunkSize])
    func protectedRoundTrip(chunkSize: Int) throws {
        let bytes = try Fixtures.bundle(password: Fixtures.password, chunkSize: chunkSize)
        let contents = try BundleReader.read(bytes, password: Fixtures.password)
        #expect(contents.snapshot == Fixtures.snapshot)
        #expect(contents.header.protection?.chunkSize == chunkSize)
        #expect(contents.header.protection?.kdf == Fixtures.tinyKDF)
        // The plaintext does not show through.
        #expect(!bytes.hexString.contains(Array("Front desk".utf8).hexString))
    }

    @Test("A bundle with no categories, and one with only empty categories, read back", arguments: [nil, Fixtures.password])
    func emptyBundles(password: String?) throws {
        for snapshot in [SettingsSnapshot(), SettingsSnapshot(categories: [.buttons: []])] {
            let bytes = try Fixtures.bundle(snapshot, password: password)
            let contents = try BundleReader.read(bytes, password: password)
            #expect(contents.snapshot == snapshot)
        }
    }

    @Test("Streaming: fed one byte at a time, the reader yields each part as it is verified", arguments: [nil, Fixtures.password])
    func byteAtATime(password: String?) throws {
        let bytes = try Fixtures.bundle(password: password, chunkSize: 5)
        var reader = BundleReader(password: password)
        var parts: [BundlePart] = []
        var firstPartAt: Int?
        for (offset, byte) in bytes.enumerated() {
            parts += try reader.consume([byte])
            if firstPartAt == nil, !parts.isEmpty { firstPartAt = offset }
            #expect(reader.isComplete == (offset == bytes.count - 1))
        }
        try reader.finish()
        #expect(parts.map(\.category) == [.addressBook, .paperTypes, .favorites])
        #expect(parts.first?.records == Fixtures.snapshot[.addressBook])
        // The first part came out long before the end: nothing waits for the whole file.
        #expect(try #require(firstPartAt) < bytes.count - 40)
    }

    @Test("Streaming: the writer hands out pieces of at most one chunk and its tag", arguments: [nil, Fixtures.password])
    func writerPieces(password: String?) throws {
        var pieces: [Int] = []
        var writer = try BundleWriter(
            header: Fixtures.header().describing(Fixtures.snapshot), password: password,
            kdf: Fixtures.tinyKDF, chunkSize: 16
        ) { pieces.append($0.count) }
        let headerPiece = pieces.count
        for entry in writer.header.categories {
            try writer.add(entry.category, bytes: CanonicalContent.encode(Fixtures.snapshot[entry.category]))
        }
        try writer.finish()
        #expect(headerPiece == 1)
        #expect(pieces.dropFirst().allSatisfy { $0 <= 16 + (password == nil ? 0 : 16) })
        #expect(pieces.count > 10)
    }

    @Test("A chunk source reads like bytes in memory")
    func chunkSource() throws {
        let bytes = try Fixtures.bundle(password: Fixtures.password, chunkSize: 13)
        var offset = 0
        let contents = try BundleReader.read(password: Fixtures.password) {
            let end = min(bytes.count, offset + 11)
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
        #expect(contents == (try BundleReader.read(bytes, password: Fixtures.password)))
    }

    @Test("Digests do not depend on time, password, salt, nonces or chunk size")
    func digestsAreStable() throws {
        let plain = try BundleReader.read(try Fixtures.bundle(), password: nil)
        let later = try BundleReader.read(try Fixtures.bundle(header: Fixtures.header(createdAt: Date())), password: nil)
        let sealed = try BundleReader.read(try Fixtures.bundle(password: Fixtures.password, chunkSize: 9), password: Fixtures.password)
        var randomBytes: [UInt8] = []
        try BundleWriter.write(Fixtures.snapshot, header: Fixtures.header(), password: "other", kdf: Fixtures.tinyKDF) {
            randomBytes += $0
        }
        let random = try BundleReader.read(randomBytes, password: "other")
        for other in [later, sealed, random] {
            #expect(other.categories == plain.categories)
        }
        #expect(plain.categories.map(\.digest) == plain.header.categories.map { CanonicalContent.digest(Fixtures.snapshot[$0.category]) })
        #expect(plain.categories.last?.digest == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("readHeader(prefix:) needs only the header, and checks its SHA-256")
    func headerOnly() throws {
        let bytes = try Fixtures.bundle(password: Fixtures.password)
        let length = Fixtures.headerLength(bytes)
        #expect(try BundleReader.readHeader(prefix: bytes.prefix(length - 1)) == nil)
        let header = try #require(try BundleReader.readHeader(prefix: bytes.prefix(length)))
        #expect(header.isPasswordProtected)
        #expect(header.sourceSerialNumber == "AUR5540-000731")
        var damaged = bytes
        damaged[20] ^= 0x04
        #expect(throws: BundleError.self) { try BundleReader.readHeader(prefix: damaged) }
    }

    @Test("The writer refuses parts that do not match its header")
    func writerChecksParts() throws {
        let header = Fixtures.header().describing(Fixtures.snapshot)
        var writer = try BundleWriter(header: header, password: nil) { _ in }
        #expect(throws: BundleError.self) { try writer.add(.paperTypes, bytes: CanonicalContent.encode(Fixtures.snapshot[.paperTypes])) }
        #expect(throws: BundleError.self) { try writer.add(.addressBook, bytes: Array("{}\n".utf8)) }
        #expect(throws: BundleError.self) { try writer.finish() }
        var duplicate = header
        duplicate.categories.append(duplicate.categories[0])
        #expect(throws: BundleError.self) { _ = try BundleWriter(header: duplicate, password: nil) { _ in } }
        #expect(throws: BundleError.self) {
            _ = try BundleWriter(header: header, password: "x", kdf: ScryptParameters(n: 1 << 22, r: 8, p: 1)) { _ in }
        }
    }

    @Test("Standard scrypt parameters are what bundles are written with")
    func standardParameters() throws {
        // One real-cost derivation (about 0.1 s in release, 0.5 s in debug).
        var out: [UInt8] = []
        var writer = try BundleWriter(header: Fixtures.header().describing(SettingsSnapshot()), password: "pw") { out += $0 }
        try writer.finish()
        #expect(writer.header.protection?.kdf == .standard)
        #expect(try BundleReader.readHeader(prefix: out)?.protection?.kdf == ScryptParameters(n: 32768, r: 8, p: 1))
    }
}
