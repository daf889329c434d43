import Foundation
import MFPKit

/// Takes settings off a machine into a bundle file (R1 login done by the caller; R5, R11, R12 here
/// and again on the device).
public struct ExportOperation {
    public var selections: [CategorySelection]
    public var outputPath: String
    public var password: String?
    /// Where the received stream is kept until it checked out (a rerun resumes from it).
    public var pendingFolder: String

    public init(selections: [CategorySelection], outputPath: String, password: String?, pendingFolder: String) {
        self.selections = selections
        self.outputPath = outputPath
        self.password = password
        self.pendingFolder = pendingFolder
    }

    public struct Result: Sendable {
        public var origin: BundleOrigin
        public var counts: [SettingCategory: Int]
        /// Where the transfer started: past 0 when it continued an interrupted one.
        public var resumedFrom: UInt64
        /// Frames the line damaged during the transfer (each was sent again).
        public var damagedFrames: Int
    }

    public func run(
        session: DeviceSession, codec: any BundleCodec, now: Date = Date(),
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) throws(BridgeError) -> Result {
        let status = try session.statusIfIdle(for: "export")
        let categories = selections.map(\.category)
        let syncBlockers = SyncRestrictions.blockers(.export, selections: selections, sync: status.sync, now: now)
        guard syncBlockers.isEmpty else {
            throw BridgeError(.incompatible, "export refused by settings synchronization (R11)", blockers: syncBlockers)
        }
        let token = try session.reserve("export", categories: categories)
        defer { session.release(token) }
        let exported = try session.exportSettings(token: token, selections: selections, pendingFolder: pendingFolder, progress: progress)
        // Written only now, from content whose digest checked out.
        try codec.write(origin: exported.origin, snapshot: exported.snapshot, password: password, to: outputPath)
        return Result(
            origin: exported.origin, counts: exported.snapshot.categories.mapValues(\.count), resumedFrom: exported.resumedFrom,
            damagedFrames: exported.damagedFrames)
    }
}
