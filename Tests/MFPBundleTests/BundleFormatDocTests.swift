import BridgeTransfer
import Crypto
import Foundation
import MFPKit
import Testing

@_spi(TestTools) @testable import MFPBundle

/// docs/bundle-format.md's worked examples are these bytes, exactly.
@Suite("docs/bundle-format.md: the worked examples")
struct BundleFormatDocTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/bundle-format.md")

    static let snapshot = SettingsSnapshot(categories: [
        .paperTypes: [SettingRecord(id: "plain", fields: ["weight": "80"])]
    ])

    static func example(password: String?) throws -> [UInt8] {
        var out: [UInt8] = []
        try BundleWriter.write(
            snapshot, header: Fixtures.header(), password: password, kdf: Fixtures.tinyKDF,
            chunkSize: 32, salt: Fixtures.salt, noncePrefix: Fixtures.noncePrefix
        ) { out += $0 }
        return out
    }

    /// 16 bytes a line: offset, hex, printable ASCII.
    static func dump(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { offset in
            let line = bytes[offset..<min(bytes.count, offset + 16)]
            let hex = line.map { String(format: "%02x", $0) }.joined(separator: " ")
            let ascii = String(line.map { (0x20...0x7E).contains($0) ? Character(UnicodeScalar($0)) : "." })
            return String(format: "%04x  ", offset) + hex.padding(toLength: 47, withPad: " ", startingAt: 0) + "  |\(ascii)|"
        }.joined(separator: "\n")
    }

    /// The fenced block after `<!-- example: NAME -->`.
    static func block(_ name: String) throws -> String {
        let text = try String(contentsOf: document, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- example: \(name) -->"))
        let rest = text[marker.upperBound...]
        let open = try #require(rest.range(of: "```text\n"))
        let close = try #require(rest[open.upperBound...].range(of: "\n```"))
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test("R8: the unprotected example is byte for byte what the writer makes")
    func unprotected() throws {
        let bytes = try Self.example(password: nil)
        let expected = Self.dump(bytes)
        #expect(try Self.block("unprotected") == expected, "docs/bundle-format.md should show:\n\(expected)")
        let header = String(decoding: bytes[14..<(Fixtures.headerLength(bytes) - 32)], as: UTF8.self)
        #expect(try Self.block("unprotected-header") == header, "header:\n\(header)")
        #expect(try BundleReader.read(bytes, password: nil).snapshot == Self.snapshot)
    }

    @Test("R13: the protected example is byte for byte what the writer makes, and opens with its password")
    func protected() throws {
        let bytes = try Self.example(password: "example")
        let expected = Self.dump(bytes)
        #expect(try Self.block("protected") == expected, "docs/bundle-format.md should show:\n\(expected)")
        let header = String(decoding: bytes[14..<(Fixtures.headerLength(bytes) - 32)], as: UTF8.self)
        #expect(try Self.block("protected-header") == header, "header:\n\(header)")
        #expect(try BundleReader.read(bytes, password: "example").snapshot == Self.snapshot)
        #expect(Fixtures.rejection(bytes, password: "Example")?.kind == .wrongPassword)
    }

    @Test("The keys of the protected example are the ones the document gives")
    func keys() throws {
        let keys = try BundlePassword.deriveKeys(password: "example", salt: Fixtures.salt, parameters: Fixtures.tinyKDF)
        let key = keys.encryption.withUnsafeBytes { Array($0) }.hexString
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        #expect(text.contains("encryption key `\(key)`"), "key \(key)")
        #expect(text.contains("key check `\(keys.check.hexString)`"), "check \(keys.check.hexString)")
    }
}

/// docs/bundle-format.md's box backup example, and the two levels of its seal.
@Suite("docs/bundle-format.md: box backups")
struct BoxBackupFormatDocTests {
    static let payload = Array("document one\ndocument two\n".utf8)
    static let origin = BundleOrigin(
        model: "Aurora C5540i", series: "Aurora C5500", firmware: "41.02.7",
        language: "en-US", serialNumber: "AUR5540-000731")

    static func trailer() -> BoxBackupTrailer {
        BoxBackupTrailer(
            origin: origin, createdAt: Date(timeIntervalSince1970: 1_767_225_600), documents: 2,
            payloadSize: UInt64(payload.count),
            payloadChain: StreamChain.hash(of: payload).bytes.map { String(format: "%02x", $0) }.joined())
    }

    @Test("R8: the box backup example is byte for byte what the writer makes, and its trailer opens")
    func example() throws {
        let trailer = Self.trailer()
        let bytes = BoxBackupFormat.preamble + Self.payload + trailer.sealed()
        let expected = BundleFormatDocTests.dump(bytes)
        #expect(try BundleFormatDocTests.block("box-backup") == expected, "docs/bundle-format.md should show:\n\(expected)")
        let json = String(decoding: trailer.json(), as: UTF8.self)
        #expect(try BundleFormatDocTests.block("box-backup-trailer") == json, "trailer:\n\(json)")
        let located = try BoxBackupTrailer.locate(tail: Array(bytes.dropFirst(16)), fileSize: UInt64(bytes.count))
        #expect(located.trailer == trailer)
        #expect(try BoxBackupTrailer.open(sealed: located.sealed) == trailer)
    }

    /// The trailer with its JSON replaced; `recomputeDigest` writes D anew (the seal is left).
    static func edited(_ sealed: [UInt8], _ change: (String) -> String, recomputeDigest: Bool) -> [UInt8] {
        let length = sealed[(sealed.count - 12)..<(sealed.count - 8)].reduce(0) { $0 << 8 | Int($1) }
        let json = Array(change(String(decoding: sealed[0..<length], as: UTF8.self)).utf8)
        let digest = recomputeDigest ? Array(SHA256.hash(data: json)) : Array(sealed[length..<(length + 32)])
        let count = UInt32(json.count)
        return json + digest + Array(sealed[(length + 32)..<(length + 64)])
            + [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + BoxBackupFormat.endMagic
    }

    @Test("R8, R7: a trailer whose language was edited fails its digest, and with the digest recomputed fails the seal")
    func editedLanguage() throws {
        let sealed = Self.trailer().sealed()
        let german = { (text: String) in text.replacingOccurrences(of: "en-US", with: "de-DE") }
        for recompute in [false, true] {
            #expect {
                try BoxBackupTrailer.open(sealed: Self.edited(sealed, german, recomputeDigest: recompute))
            } throws: { error in
                let message = (error as? BundleError)?.message ?? ""
                return message.contains("box backup was modified or damaged") && message.contains("trailer was edited")
            }
        }
    }

    @Test("R8: a box backup cut anywhere, or with a byte appended, is a damaged box backup, never 'not a bundle'")
    func cutAndExtended() throws {
        let bytes = BoxBackupFormat.preamble + Self.payload + Self.trailer().sealed()
        for length in 0...(bytes.count + 1) where length != bytes.count {
            let file = length <= bytes.count ? Array(bytes.prefix(length)) : bytes + [0x0a]
            var message = ""
            do {
                if BoxBackupFormat.kind(ofPrefix: file) == .other {
                    // Cut inside "MFPB": nothing says it is a box backup.
                    #expect(length <= 4)
                    continue
                }
                try BoxBackupFormat.checkPreamble(file, fileSize: UInt64(file.count))
                let tail = Array(file.dropFirst(16).suffix(BoxBackupFormat.maxTrailerLength))
                _ = try BoxBackupTrailer.locate(tail: tail, fileSize: UInt64(file.count))
                Issue.record("a box backup of \(length) bytes was accepted")
            } catch {
                message = error.message
            }
            #expect(message.contains("box backup was modified or damaged"), "\(length): \(message)")
            #expect(message.contains(length > bytes.count ? "bytes after its end" : "cut short"), "\(length): \(message)")
        }
    }
}
