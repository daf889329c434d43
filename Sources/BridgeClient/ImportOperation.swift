import Foundation
import MFPKit

/// Puts a bundle's settings on a machine, in the order the rules ask: verify the bundle before the
/// device is touched (R8, R13), check the machine (R5) and compatibility (R7, R9, R10, R11), report
/// what will change (R2), snapshot what will be overwritten, re-check R5, then let the device stage
/// and apply it in one atomic step (R3).
public final class ImportOperation {
    public let session: DeviceSession
    public let selections: [CategorySelection]
    public let origin: BundleOrigin
    public let incoming: SettingsSnapshot
    /// Where the R2 read of the current content keeps its received stream until it checked out.
    public let pendingFolder: String
    public private(set) var token: String?
    public private(set) var current = SettingsSnapshot()
    public private(set) var plan: ImportPlan?
    public private(set) var status: DeviceStatus?
    /// Where the import's transfer started: past 0 when it continued an interrupted one.
    public private(set) var resumedFrom: UInt64 = 0
    private var keepalive: Keepalive?

    /// - Parameter selections: `nil` imports every category the bundle holds.
    public init(
        session: DeviceSession, bundle: (origin: BundleOrigin, snapshot: SettingsSnapshot),
        selections: [CategorySelection]?, pendingFolder: String
    ) throws(BridgeError) {
        self.session = session
        self.pendingFolder = pendingFolder
        self.origin = bundle.origin
        self.incoming = bundle.snapshot
        let inBundle = Set(bundle.snapshot.categories.keys)
        let wanted = selections ?? inBundle.sorted().map { CategorySelection($0) }
        let missing = wanted.filter { !inBundle.contains($0.category) }
        guard missing.isEmpty else {
            throw BridgeError(
                .usage,
                "the bundle holds no \(missing.map(\.description).joined(separator: ", ")); it holds "
                    + inBundle.sorted().map(\.rawValue).joined(separator: ", "))
        }
        self.selections = wanted
    }

    /// Checks, reserves, reads what will be overwritten and plans. Nothing changes on the device.
    public func prepare(now: Date = Date()) throws(BridgeError) -> ImportPlan {
        let status = try session.statusIfIdle(for: "import")
        let target = try session.capabilities()
        self.status = status
        let categories = selections.map(\.category)
        let token = try session.reserve("import", categories: categories)
        self.token = token
        // The operator may take a while to confirm: the reservation must not lapse meanwhile (R4).
        keepalive = session.keepAlive(token)
        // What the import would overwrite: the R2 report compares against it, and it becomes the snapshot.
        let current = try session.exportSettings(token: token, selections: selections, pendingFolder: pendingFolder).snapshot
        self.current = current
        let plan = ImportPlanner.plan(
            origin: origin, incoming: incoming, selections: selections, target: target,
            status: status, current: current, now: now)
        self.plan = plan
        if plan.isRefused {
            throw BridgeError(.incompatible, "import refused", blockers: plan.refusals)
        }
        return plan
    }

    /// R5 again right before the transfer (the state may have changed), then stage and commit.
    /// - Parameter beforeCommit: called with the transfer id right before the machine is asked to
    ///   apply: a caller remembers it, so that if the answer never comes the next run can ask the
    ///   machine whether it applied that transfer (`DeviceSession.transferOutcome`).
    public func apply(
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in },
        beforeCommit: (UInt64) throws(BridgeError) -> Void = { _ in }
    ) throws(BridgeError) -> ImportPlan {
        guard let token, let plan else { throw BridgeError(.failure, "prepare the import first") }
        let status = try session.status()
        var blockers = ImportExportPreflight.blockers(for: status)
        // Our own reservation shows as an import in progress: that one is expected.
        blockers.removeAll { $0.code == "import-export-in-progress" }
        guard blockers.isEmpty else {
            throw BridgeError(.refusedByDeviceState, "import stopped before any change: the machine became busy", blockers: blockers)
        }
        let applied = plan.categories.filter(\.applied).map(\.category)
        guard !applied.isEmpty else { return plan }
        let selections = self.selections.filter { applied.contains($0.category) }
        let staged = try session.stageImport(
            token: token, origin: origin, selections: selections,
            content: incoming.restricted(to: Set(applied)), progress: progress)
        resumedFrom = staged.resumedFrom
        // The device planned what it received by its own rules; a difference means the two sides
        // disagree about the machine, and nothing is applied.
        for devicePlan in staged.plan.categories {
            guard let hostPlan = plan.categories.first(where: { $0.category == devicePlan.category }),
                hostPlan.applied == devicePlan.applied, hostPlan.skipped.count == devicePlan.skipped.count,
                hostPlan.added.count == devicePlan.added.count, hostPlan.removed.count == devicePlan.removed.count
            else {
                throw BridgeError(
                    .failure,
                    "the device's plan for \(devicePlan.category.rawValue) differs from the report shown; nothing was applied, run the import again"
                )
            }
        }
        try beforeCommit(staged.transferID)
        try session.commitImport(token: token)
        return plan
    }

    public func finish() {
        keepalive?.stop()
        keepalive = nil
        if let token { session.release(token) }
        token = nil
    }
}
