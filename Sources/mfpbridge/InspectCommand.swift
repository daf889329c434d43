import ArgumentParser
import BridgeClient
import Foundation
import MFPBundle
import MFPKit

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a bundle (export file) holds: source machine, categories, protection.",
        discussion: """
            Shows the bundle's header: model, series, firmware, display language, source serial number, \
            creation time, categories with item counts and sizes, and how it is sealed. The contents are \
            verified too (every byte, R8) when the bundle is not password-protected or its password is \
            given; then --json also shows, per category, the SHA-256 digest of its canonical content, \
            equal for two exports of unchanged settings. Exits 6 when the bundle is damaged or the \
            password is wrong (R8, R13). docs/bundle-format.md describes the format.
            """)

    @Argument(help: ArgumentHelp("The bundle file.", valueName: "file"))
    var file: String

    @OptionGroup var bundlePassword: BundlePasswordOptions

    @Flag(name: .long, help: "Print one JSON object for scripts instead of text.")
    var json = false

    /// The `--json` object (field names are part of the interface: docs/bundle-format.md).
    struct Report: Encodable {
        var file: String
        var formatVersion: Int
        var model: String
        var series: String
        var firmware: String
        var displayLanguage: String
        var sourceSerialNumber: String
        var createdAt: Date
        var passwordProtected: Bool
        var protection: Protection?
        /// True when every byte was checked; false for a protected bundle read without its password.
        var verified: Bool
        var categories: [Category]

        struct Protection: Encodable {
            var cipher: String
            var chunkSize: Int
            var kdf: ScryptParameters
        }

        struct Category: Encodable {
            var category: SettingCategory
            var name: String
            var itemCount: Int
            var byteCount: Int
            /// `nil` (written as null) for a protected bundle read without its password.
            var digest: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(category, forKey: .category)
                try container.encode(name, forKey: .name)
                try container.encode(itemCount, forKey: .itemCount)
                try container.encode(byteCount, forKey: .byteCount)
                try container.encode(digest, forKey: .digest)
            }

            enum CodingKeys: String, CodingKey { case category, name, itemCount, byteCount, digest }
        }

        // protection is written as null for an unprotected bundle, as scripts expect the key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(file, forKey: .file)
            try container.encode(formatVersion, forKey: .formatVersion)
            try container.encode(model, forKey: .model)
            try container.encode(series, forKey: .series)
            try container.encode(firmware, forKey: .firmware)
            try container.encode(displayLanguage, forKey: .displayLanguage)
            try container.encode(sourceSerialNumber, forKey: .sourceSerialNumber)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(passwordProtected, forKey: .passwordProtected)
            try container.encode(protection, forKey: .protection)
            try container.encode(verified, forKey: .verified)
            try container.encode(categories, forKey: .categories)
        }

        enum CodingKeys: String, CodingKey {
            case file, formatVersion, model, series, firmware, displayLanguage, sourceSerialNumber, createdAt
            case passwordProtected, protection, verified, categories
        }
    }

    func run() throws {
        if BoxBackupFile.isBoxBackup(path: file) {
            // A box backup's description is shown only once its seal and every byte checked (R8).
            try showBoxBackup(try BoxBackupFile.verify(path: file).verified)
            return
        }
        let header = try BundleFile.readHeader(path: file)
        let password = try bundlePassword.password()
        var contents: BundleContents?
        var failure: BridgeError?
        if !header.isPasswordProtected || password != nil {
            do {
                contents = try BundleFile.read(path: file, password: password)
            } catch {
                failure = error
            }
        }
        if let failure {
            // The header is intact (its SHA-256 matched): show it in text, then fail.
            if !json { printText(report(header: header, contents: nil)) }
            throw failure
        }
        let report = report(header: contents?.header ?? header, contents: contents)
        if json {
            Output.json(report)
        } else {
            printText(report)
        }
    }

    private func report(header: BundleHeader, contents: BundleContents?) -> Report {
        let digests = Dictionary(uniqueKeysWithValues: (contents?.categories ?? []).map { ($0.category, $0.digest) })
        return Report(
            file: file, formatVersion: header.formatVersion, model: header.model, series: header.series,
            firmware: header.firmware, displayLanguage: header.displayLanguage,
            sourceSerialNumber: header.sourceSerialNumber, createdAt: header.createdAt,
            passwordProtected: header.isPasswordProtected,
            protection: header.protection.map { Report.Protection(cipher: $0.cipher, chunkSize: $0.chunkSize, kdf: $0.kdf) },
            verified: contents != nil,
            categories: header.categories.map {
                Report.Category(
                    category: $0.category, name: $0.category.displayName, itemCount: $0.itemCount,
                    byteCount: $0.byteCount, digest: digests[$0.category])
            })
    }

    /// The `--json` object of a box backup.
    struct BoxBackupReport: Encodable {
        var file: String
        var kind = "box-backup"
        var formatVersion: Int
        var model: String
        var series: String
        var firmware: String
        var displayLanguage: String
        var sourceSerialNumber: String
        var createdAt: Date
        var documents: Int
        var payloadSize: UInt64
        var payloadChain: String
        var verified = true
    }

    private func showBoxBackup(_ backup: BoxBackupFile.Verified) throws {
        let origin = backup.origin
        let report = BoxBackupReport(
            file: file, formatVersion: backup.trailer.formatVersion, model: origin.model, series: origin.series,
            firmware: origin.firmware, displayLanguage: origin.language,
            sourceSerialNumber: origin.serialNumber, createdAt: backup.trailer.createdAt,
            documents: backup.documents, payloadSize: backup.payloadSize,
            payloadChain: backup.trailer.payloadChain)
        if json {
            Output.json(report)
            return
        }
        Output.line(
            """
            \(file): mfpbridge box backup, format version \(report.formatVersion)
              model          \(report.model) (series \(report.series))
              firmware       \(report.firmware)
              language       \(report.displayLanguage)
              source serial  \(report.sourceSerialNumber)
              created        \(ISO8601DateFormatter().string(from: report.createdAt))
              documents      \(report.documents), \(report.payloadSize) bytes
              chain          \(report.payloadChain)
            Verified: the sealed trailer and every document byte checked (R8).
            """)
    }

    private func printText(_ report: Report) {
        let sealing =
            report.protection.map {
                "password-protected: \($0.cipher), \($0.chunkSize)-byte chunks, \($0.kdf.algorithm) N=\($0.kdf.n) r=\($0.kdf.r) p=\($0.kdf.p)"
            } ?? "not password-protected: SHA-256 manifest"
        let created = ISO8601DateFormatter().string(from: report.createdAt)
        Output.line(
            """
            \(report.file): mfpbridge bundle, format version \(report.formatVersion)
              model          \(report.model) (series \(report.series))
              firmware       \(report.firmware)
              language       \(report.displayLanguage)
              source serial  \(report.sourceSerialNumber)
              created        \(created)
              sealed         \(sealing)
            """)
        Output.line("Categories (\(report.categories.count)):")
        let width = report.categories.map(\.category.rawValue.count).max() ?? 0
        for category in report.categories {
            let name = category.category.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            Output.line(
                "  \(name)  \(category.itemCount) item\(category.itemCount == 1 ? "" : "s"), \(category.byteCount) bytes  \(category.name)")
        }
        if report.verified {
            Output.line("Verified: every byte checked (R8\(report.passwordProtected ? ", R13" : "")). --json shows each category's digest.")
        } else if report.passwordProtected {
            Output.line(
                "Contents not checked: give the password (--password-file FILE or \(BundlePasswordOptions.environmentVariable)) to verify them and see their digests."
            )
        }
    }
}
