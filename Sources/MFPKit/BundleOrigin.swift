import Crypto
import Foundation

/// Where a bundle's settings came from, as its header says (R7, R9).
public struct BundleOrigin: Codable, Sendable, Hashable {
    public var model: String
    public var series: String
    public var firmware: String
    public var language: String
    public var serialNumber: String

    public init(model: String, series: String, firmware: String, language: String, serialNumber: String) {
        self.model = model
        self.series = series
        self.firmware = firmware
        self.language = language
        self.serialNumber = serialNumber
    }
}

/// Rule R10's one record: the security-policy category carries the machine's security-policy
/// password as a keyed hash in the record `policy-password` (field `hash`), never in clear.
public enum SecurityPolicyPassword {
    public static let recordID = "policy-password"

    public static func hash(in records: [SettingRecord]) -> String? {
        records.first { $0.id == recordID }?.fields["hash"]
    }

    /// The keyed hash both machines compare; equal passwords give equal hashes.
    public static func hash(password: String) -> String {
        var hash = SHA256()
        hash.update(data: Array("mfpbridge-security-policy".utf8) + [0] + Array(password.utf8))
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func record(hash: String) -> SettingRecord {
        SettingRecord(id: recordID, fields: ["hash": hash])
    }
}
