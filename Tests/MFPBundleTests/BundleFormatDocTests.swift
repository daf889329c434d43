import Crypto
import Foundation
@testable import MFPBundle
import MFPKit
import Testing

/// docs/bundle-format.md's worked examples are these bytes, exactly.
@Suite("docs/bundle-format.md: the worked examples")
struct BundleFormatDocTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/bundle-format.md")

    static let snapshot = SettingsSnapshot(categories: [
        .paperTypes: [SettingRecord(id: "plain", fields: ["weight": "80"])],
    ])

    static func example(password: String?) throws -> [UInt8] {
        var out: [UInt8] = []
        try BundleWriter.write(snapshot, header: Fixtures.header(), password: password, kdf: Fixtures.tinyKDF,
                               chunkSize: 32, salt: Fixtures.salt, noncePrefix: Fixtures.noncePrefix) { out += $0 }
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
