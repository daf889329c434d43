import BridgeClient
import Foundation
import MFPKit

/// How a backup on a stick is named: machine, model and time, so a listing reads without opening
/// anything: `SERIAL_MODEL_20261202-101500.mfpb` (settings) or `.mfpbox` (box documents).
public enum MediaBackupName {
    public static let settingsExtension = "mfpb"
    public static let boxExtension = "mfpbox"

    public static func make(origin: BundleOrigin, box: Bool, at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let stamp = formatter.string(from: date)
        return
            "\(machineFileName(origin.serialNumber))_\(fileNameSafe(origin.model))_\(stamp).\(box ? boxExtension : settingsExtension)"
    }

    /// Whether a name in the backups folder is one of ours (a finished name, not a partial one).
    public static func isBackupName(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix("." + settingsExtension) || name.hasSuffix("." + boxExtension))
    }

    /// What the writer names a file while it is being written (`PowerSafeWriter`).
    public static func isPartialName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.hasSuffix(".partial")
    }
}
