import Foundation
import MFPKit

/// Takes settings off a machine into a bundle file (R1 login done by the caller; R5, R11, R12 here
/// and again on the device).
public struct ExportOperation {
    public var selections: [CategorySelection]
    public var outputPath: String
    public var password: String?

    public init(selections: [CategorySelection], outputPath: String, password: String?) {
        self.selections = selections
        self.outputPath = outputPath
        self.password = password
    }

    public struct Result: Sendable {
        public var origin: BundleOrigin
        public var counts: [SettingCategory: Int]
    }

    public func run(session: DeviceSession, codec: any BundleCodec, now: Date = Date(),
                    progress: (Int, Int) -> Void = { _, _ in }) throws(BridgeError) -> Result {
        let status = try session.statusIfIdle(for: "export")
        let categories = selections.map(\.category)
        let syncBlockers = SyncRestrictions.blockers(.export, selections: selections, sync: status.sync, now: now)
        guard syncBlockers.isEmpty else {
            throw BridgeError(.incompatible, "export refused by settings synchronization (R11)", blockers: syncBlockers)
        }
        let token = try session.reserve("export", categories: categories)
        defer { session.release(token) }
        let (origin, snapshot) = try session.exportSettings(token: token, selections: selections, progress: progress)
        try codec.write(origin: origin, snapshot: snapshot, password: password, to: outputPath)
        return Result(origin: origin, counts: snapshot.categories.mapValues(\.count))
    }
}
