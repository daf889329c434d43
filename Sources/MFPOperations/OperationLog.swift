import BridgeClient
import Foundation
import MFPKit

/// Records each operation in the history database. A history that cannot be written is reported
/// to `warn`, never the reason an export or import fails.
public struct OperationLog: Sendable {
    public var workspace: Workspace
    public var warn: @Sendable (String) -> Void

    public init(workspace: Workspace, warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.workspace = workspace
        self.warn = warn
    }

    public func record(
        operation: String, device: String, session: DeviceSession?, user: String, selections: [CategorySelection],
        started: Date, error: (any Error)?, bundle: String?, snapshot: String?
    ) {
        let status = (error as? BridgeError)?.status ?? (error == nil ? .success : .failure)
        let entry = HistoryEntry(
            startedAt: started, finishedAt: Date(), operation: operation, device: device,
            deviceSerial: session?.device?.serialNumber, model: session?.device?.model, user: user,
            categories: selections.map(\.description).joined(separator: ","),
            outcome: error == nil ? "succeeded" : "failed", exitCode: status.rawValue,
            message: error.map { "\($0)" } ?? "ok", bundlePath: bundle.map(Self.absolute),
            snapshotPath: snapshot.map(Self.absolute))
        do {
            try History.open(dataDirectory: workspace.dataDirectory).record(entry)
        } catch {
            warn("warning: could not write the history: \(error)")
        }
    }

    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardized.path
    }
}
