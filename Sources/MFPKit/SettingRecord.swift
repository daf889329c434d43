import Crypto
import Foundation

/// One item of a category: an address-book entry, a user's personal settings, one settings
/// item. `id` is unique within its category and stable across exports.
public struct SettingRecord: Codable, Sendable, Hashable {
    public var id: String
    public var fields: [String: String]
    /// R9: a per-item class (settings items carry their own); `nil` means the category's class.
    public var crossModelClass: CrossModelClass?

    public init(id: String, fields: [String: String], crossModelClass: CrossModelClass? = nil) {
        self.id = id
        self.fields = fields
        self.crossModelClass = crossModelClass
    }
}

/// The settings of a machine (or the part of them an operation touches), by category.
public struct SettingsSnapshot: Sendable, Hashable {
    public var categories: [SettingCategory: [SettingRecord]]

    public init(categories: [SettingCategory: [SettingRecord]] = [:]) {
        self.categories = categories
    }

    public subscript(category: SettingCategory) -> [SettingRecord] {
        get { categories[category] ?? [] }
        set { categories[category] = newValue }
    }

    /// Only the given categories.
    public func restricted(to wanted: Set<SettingCategory>) -> SettingsSnapshot {
        SettingsSnapshot(categories: categories.filter { wanted.contains($0.key) })
    }
}

/// The one byte form of a category's content: records sorted by id, one JSON object a line with
/// sorted keys. It depends on nothing but the content, so equal settings give equal digests
/// whenever and however they were exported (docs/bundle-format.md).
public enum CanonicalContent {
    public static func encode(_ records: [SettingRecord]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: [UInt8] = []
        for record in records.sorted(by: { $0.id < $1.id }) {
            // Encoding plain strings cannot fail.
            out += try! encoder.encode(record)
            out.append(0x0A)
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(CanonicalContentError) -> [SettingRecord] {
        let decoder = JSONDecoder()
        var records: [SettingRecord] = []
        for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: true).enumerated() {
            do {
                records.append(try decoder.decode(SettingRecord.self, from: Data(line)))
            } catch {
                throw CanonicalContentError(message: "record \(index + 1) is not valid: \(error)")
            }
        }
        return records
    }

    /// SHA-256 of the canonical content, in hex.
    public static func digest(_ records: [SettingRecord]) -> String {
        SHA256.hash(data: encode(records)).map { String(format: "%02x", $0) }.joined()
    }
}

public struct CanonicalContentError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
