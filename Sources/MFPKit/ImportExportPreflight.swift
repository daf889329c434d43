/// Rule R5 as a pure function: what prevents an import/export from starting now.
///
/// Both sides call it: the bridge before it touches anything (and again right before the
/// transfer), the emulator when it is asked to reserve itself.
public enum ImportExportPreflight {
    /// Settings sync does not appear here: what it restricts, and the conditions that lift the
    /// restriction, are rule R11's (`SyncRestrictions`), checked per category by export and import.
    public static func blockers(for status: DeviceStatus) -> [Blocker] {
        var blockers: [Blocker] = []
        if status.importExportInProgress {
            blockers.append(
                Blocker(
                    rule: .r12, code: "import-export-in-progress",
                    message: "another import/export is in progress; wait for it to finish"))
        }
        if status.power == .shuttingDown {
            blockers.append(
                Blocker(
                    rule: .r5, code: "shutting-down",
                    message: "the machine is shutting down; wait until it has restarted"))
        }
        if let code = status.errorCode {
            blockers.append(
                Blocker(
                    rule: .r5, code: "error-code",
                    message: "the machine displays error code \(code); clear the error on the machine first"))
        }
        let blockingJobs = status.activeJobs
            .filter { $0.function.blocksImportExportStart }
            .sorted { ($0.function, $0.id) < ($1.function, $1.id) }
        for job in blockingJobs {
            blockers.append(
                Blocker(
                    rule: .r5, code: "job-running:\(job.function.rawValue)",
                    message: "\(job.function.displayName) \(job.id) is in progress; wait for it to finish or cancel it"))
        }
        return blockers
    }

    /// R6: what status reports as limited (not blocked) while settings sync is active.
    public static func limitations(for status: DeviceStatus) -> [Blocker] {
        guard status.sync.state.isActive else { return [] }
        return [
            Blocker(
                rule: .r6, code: "settings-sync-active",
                message:
                    "custom-settings synchronization is \(status.sync.state.rawValue): personal settings and user group address lists import/export only as rule R11 allows; it pauses during an import/export"
            )
        ]
    }
}
