/// Where a machine's state comes from: the bridge's own wire protocol today (`DeviceSession`),
/// a printer's IPP attributes next. The R5 preflight reads it through this, whatever answers.
public protocol DeviceStateSource {
    /// The machine's state now, as the rules read it.
    func currentStatus() throws -> DeviceStatus
}

extension ImportExportPreflight {
    /// R5 on a state source: the state, if nothing blocks an import/export from starting now;
    /// otherwise the state and every blocker, for the caller to refuse with.
    public static func check(_ source: some DeviceStateSource) throws -> (status: DeviceStatus, blockers: [Blocker]) {
        let status = try source.currentStatus()
        return (status, blockers(for: status))
    }
}
