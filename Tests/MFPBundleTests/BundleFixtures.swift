import Foundation
import MFPKit
import Testing

@_spi(TestTools) @testable import MFPBundle

/// Small bundles for the tests: scrypt kept tiny (the header records it), fixed salt and nonce
/// prefix where bytes must be reproducible.
enum Fixtures {
    static let tinyKDF = ScryptParameters(n: 16, r: 1, p: 1)
    static let password = "7654321-bundle"
    static let salt: [UInt8] = Array(0..<16)
    static let noncePrefix: [UInt8] = [0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6]

    static func header(createdAt: Date = Date(timeIntervalSince1970: 1_767_225_600)) -> BundleHeader {
        BundleHeader(
            model: "Aurora C5540i", series: "Aurora C5500", firmware: "41.02.7", displayLanguage: "en-US",
            sourceSerialNumber: "AUR5540-000731", createdAt: createdAt, categories: [])
    }

    /// Three categories, one of them empty; a few hundred bytes in all.
    static let snapshot = SettingsSnapshot(categories: [
        .addressBook: [
            SettingRecord(id: "0001", fields: ["name": "Front desk", "type": "fax", "number": "+1 555 0100"]),
            SettingRecord(id: "0002", fields: ["name": "Accounts", "type": "e-mail", "address": "accounts@example.com"]),
        ],
        .paperTypes: [
            SettingRecord(id: "plain-80", fields: ["weight": "80"], crossModelClass: .c)
        ],
        .favorites: [],
    ])

    /// A bundle in memory, with the chosen chunk size.
    static func bundle(
        _ snapshot: SettingsSnapshot = snapshot, password: String? = nil, chunkSize: Int = 64,
        header: BundleHeader = header(), salt: [UInt8] = salt,
        noncePrefix: [UInt8] = noncePrefix
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        try BundleWriter.write(
            snapshot, header: header, password: password, kdf: tinyKDF, chunkSize: chunkSize,
            salt: salt, noncePrefix: noncePrefix
        ) { out += $0 }
        return out
    }

    /// The error reading `bytes` gives, or `nil` when they read.
    static func rejection(_ bytes: [UInt8], password: String? = nil) -> BundleError? {
        do {
            _ = try BundleReader.read(bytes, password: password)
            return nil
        } catch {
            return error
        }
    }

    static func isDamaged(_ error: BundleError?) -> Bool {
        if case .damaged = error?.kind { return true }
        return false
    }

    /// Bytes before the body: preamble, header JSON, header digest.
    static func headerLength(_ bytes: [UInt8]) -> Int {
        let json = bytes[10..<14].reduce(0) { ($0 << 8) | Int($1) }
        return 14 + json + 32
    }
}
