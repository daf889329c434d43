import Crypto
import Foundation
import MFPKit
import Testing

@testable import MFPBundle

@Suite("R8, R13: every change to a bundle is detected")
struct BundleTamperTests {
    @Test("R8: a changed byte anywhere is detected", arguments: [nil, Fixtures.password])
    func everyByte(password: String?) throws {
        let bytes = try Fixtures.bundle(password: password, chunkSize: 16)
        for position in bytes.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var changed = bytes
                changed[position] ^= mask
                let error = Fixtures.rejection(changed, password: password)
                switch error?.kind {
                case .notABundle?: #expect(position < 8, "byte \(position)")
                case .unsupportedVersion?: #expect((8..<10).contains(position), "byte \(position)")
                case .damaged?: break
                default: Issue.record("byte \(position) ^ \(mask): \(String(describing: error))")
                }
            }
        }
    }

    @Test("R8: a bundle truncated at any length is detected", arguments: [nil, Fixtures.password])
    func everyLength(password: String?) throws {
        let bytes = try Fixtures.bundle(password: password, chunkSize: 16)
        for length in 0..<bytes.count {
            let error = Fixtures.rejection(Array(bytes.prefix(length)), password: password)
            #expect(Fixtures.isDamaged(error), "length \(length): \(String(describing: error))")
        }
        // And one byte too many.
        #expect(Fixtures.isDamaged(Fixtures.rejection(bytes + [0], password: password)))
    }

    /// The encrypted chunks of a protected bundle, after its header.
    private func chunks(_ bytes: [UInt8], chunkSize: Int) -> (head: [UInt8], chunks: [[UInt8]]) {
        let start = Fixtures.headerLength(bytes)
        var chunks: [[UInt8]] = []
        var offset = start
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunkSize + 16)
            chunks.append(Array(bytes[offset..<end]))
            offset = end
        }
        return (Array(bytes[..<start]), chunks)
    }

    @Test("R13: reordered, duplicated or dropped chunks are detected")
    func chunkOrder() throws {
        let bytes = try Fixtures.bundle(password: Fixtures.password, chunkSize: 16)
        let (head, original) = chunks(bytes, chunkSize: 16)
        #expect(original.count > 6)
        #expect(head + original.joined() == bytes)
        var cases: [String: [[UInt8]]] = [:]
        var swapped = original
        swapped.swapAt(1, 2)
        cases["swapped 2 and 3"] = swapped
        var duplicated = original
        duplicated.insert(original[1], at: 2)
        cases["chunk 2 twice"] = duplicated
        var dropped = original
        dropped.remove(at: 1)
        cases["chunk 2 dropped"] = dropped
        cases["last chunk dropped"] = Array(original.dropLast())
        cases["last chunk twice"] = original + [original.last!]
        var lastFirst = original
        lastFirst.swapAt(original.count - 2, original.count - 1)
        cases["last two swapped"] = lastFirst
        for (name, chunks) in cases {
            let error = Fixtures.rejection(head + chunks.joined(), password: Fixtures.password)
            #expect(Fixtures.isDamaged(error), "\(name): \(String(describing: error))")
        }
    }

    @Test("R13: a chunk from another bundle with the same password is detected")
    func foreignChunk() throws {
        let one = try Fixtures.bundle(password: Fixtures.password, chunkSize: 16)
        var otherSnapshot = Fixtures.snapshot
        otherSnapshot[.addressBook][0].fields["name"] = "Front dusk"
        // Same salt and nonce prefix, so same key and nonces: only the header digest binds the chunk.
        let other = try Fixtures.bundle(
            otherSnapshot, password: Fixtures.password, chunkSize: 16,
            header: Fixtures.header(createdAt: Date(timeIntervalSince1970: 1_767_225_601)))
        let start = Fixtures.headerLength(one)
        #expect(start == Fixtures.headerLength(other))
        var mixed = one
        mixed.replaceSubrange(start..<(start + 32), with: other[start..<(start + 32)])
        #expect(Fixtures.isDamaged(Fixtures.rejection(mixed, password: Fixtures.password)))
    }

    @Test("R8: swapped parts of an unprotected bundle are detected, naming the part")
    func swappedParts() throws {
        // Two categories with the same content have parts of the same length.
        let records = [SettingRecord(id: "b1", fields: ["label": "Scan to me"])]
        let snapshot = SettingsSnapshot(categories: [
            .favorites: records, .buttons: [SettingRecord(id: "b1", fields: ["label": "Scan to us"])],
        ])
        let bytes = try Fixtures.bundle(snapshot)
        let start = Fixtures.headerLength(bytes)
        let partLength = CanonicalContent.encode(records).count + 32
        var swapped = Array(bytes[..<start])
        swapped += bytes[(start + partLength)..<(start + 2 * partLength)]
        swapped += bytes[start..<(start + partLength)]
        #expect(swapped.count == bytes.count)
        let error = try #require(Fixtures.rejection(swapped))
        #expect(Fixtures.isDamaged(error))
        #expect(error.message.contains("favorites"))
        #expect(error.message.contains("modified or damaged"))
    }

    /// Replaces `old` by `new` in the header JSON (fixing the preamble's length), and recomputes the header's SHA-256
    /// as a deliberate editor would.
    private func editHeader(_ bytes: [UInt8], _ old: String, _ new: String, fixDigest: Bool) throws -> [UInt8] {
        let end = Fixtures.headerLength(bytes) - 32
        var header = Array(bytes[..<end])
        let text = String(decoding: header[14...], as: UTF8.self)
        #expect(text.contains(old))
        let json = Array(text.replacingOccurrences(of: old, with: new).utf8)
        header = Array(header[..<10])
        header.appendBigEndian(UInt32(json.count))
        header += json
        let digest = fixDigest ? Array(SHA256.hash(data: header)) : Array(bytes[end..<(end + 32)])
        return header + digest + bytes[(end + 32)...]
    }

    @Test("R8: header edits are detected, even with the header's SHA-256 recomputed", arguments: [nil, Fixtures.password])
    func headerEdits(password: String?) throws {
        let bytes = try Fixtures.bundle(password: password, chunkSize: 16)
        for (old, new) in [
            ("Aurora C5540i", "Aurora C5560i"), ("en-US", "de-DE"), ("\"itemCount\":2", "\"itemCount\":1"),
            ("2026-01-01T00", "2025-01-01T00"),
        ] {
            let plain = try editHeader(bytes, old, new, fixDigest: false)
            let plainError = Fixtures.rejection(plain, password: password)
            #expect(Fixtures.isDamaged(plainError))
            #expect(plainError?.message.contains("header") == true)
            let forged = try editHeader(bytes, old, new, fixDigest: true)
            #expect(Fixtures.isDamaged(Fixtures.rejection(forged, password: password)), "\(old) -> \(new)")
        }
    }

    @Test("Not a bundle, and an unknown version, are told apart from damage")
    func notABundle() throws {
        #expect(Fixtures.rejection(Array("PK\u{3}\u{4} a zip file".utf8))?.kind == .notABundle)
        var bytes = try Fixtures.bundle()
        bytes[9] = 2
        #expect(Fixtures.rejection(bytes)?.kind == .unsupportedVersion(2))
        #expect(Fixtures.rejection(bytes)?.message.contains("version 2") == true)
    }

    @Test("A hostile header cannot ask for gigabytes of scrypt memory")
    func hostileKDF() throws {
        let bytes = try Fixtures.bundle(password: Fixtures.password)
        for (old, new) in [
            ("\"n\":16", "\"n\":4194304"), ("\"r\":1", "\"r\":64"), ("\"p\":1", "\"p\":99"),
            ("\"chunkSize\":64", "\"chunkSize\":99999999999"),
        ] {
            let forged = try editHeader(bytes, old, new, fixDigest: true)
            let error = Fixtures.rejection(forged, password: Fixtures.password)
            #expect(Fixtures.isDamaged(error), "\(new): \(String(describing: error))")
        }
        // Parameters in range only change the key, so the key check fails.
        let other = try editHeader(bytes, "\"r\":1", "\"r\":2", fixDigest: true)
        #expect(Fixtures.rejection(other, password: Fixtures.password)?.kind == .wrongPassword)
    }
}
