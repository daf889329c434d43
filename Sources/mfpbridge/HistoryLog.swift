import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit

/// Records each operation in the history database; a history that cannot be written is a warning,
/// never the reason an export or import fails.
enum HistoryLog {
    static func record(operation: String, device: String, session: DeviceSession?, user: String, selections: [CategorySelection],
                       started: Date, error: (any Error)?, bundle: String?, snapshot: String?) {
        let status = (error as? BridgeError)?.status ?? (error == nil ? .success : .failure)
        let entry = HistoryEntry(startedAt: started, finishedAt: Date(), operation: operation, device: device,
                                 deviceSerial: session?.device?.serialNumber, model: session?.device?.model, user: user,
                                 categories: selections.map(\.description).joined(separator: ","),
                                 outcome: error == nil ? "succeeded" : "failed", exitCode: status.rawValue,
                                 message: error.map { "\($0)" } ?? "ok", bundlePath: bundle.map(absolute), snapshotPath: snapshot.map(absolute))
        do {
            try History.open(dataDirectory: DataDirectory.path()).record(entry)
        } catch {
            Output.warn("warning: \(error.message) (the \(operation) itself is not affected)")
        }
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardized.path
    }
}
