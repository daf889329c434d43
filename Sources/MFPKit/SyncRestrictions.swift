import Foundation

/// Rule R11: what custom-settings synchronization allows to be exported or imported.
///
/// Condition (a): within 15 minutes after a successful "preparation for exporting user data" on
/// the synchronization server. Condition (b): the connection destination of the server/client
/// machine is `localhost:8443`.
public enum SyncRestrictions {
    public enum Operation: String, Sendable { case export, `import` }

    public static let preparationWindow: TimeInterval = 15 * 60
    public static let localDestination = "localhost:8443"

    public static func blockers(_ operation: Operation, selections: [CategorySelection], sync: SyncStatus, now: Date) -> [Blocker] {
        let restricted = selections.filter(\.category.isSubjectToSettingsSync)
        guard !restricted.isEmpty else { return [] }
        var blockers: [Blocker] = []
        let prepared =
            sync.exportPreparedAt.map { now.timeIntervalSince($0) >= 0 && now.timeIntervalSince($0) <= preparationWindow } ?? false
        let local = sync.connectionDestination == localDestination
        let conditionA =
            "condition (a) is not met: \"preparation for exporting user data\" has not succeeded on the server within the last 15 minutes"
        let conditionB =
            "condition (b) is not met: the server/client connection destination is \(sync.connectionDestination ?? "not set"), not \(localDestination)"

        for selection in restricted {
            let name =
                selection.lists == nil
                ? "\(selection.category.displayName) (all)"
                : "\(selection.category.displayName) \(selection.lists!.joined(separator: ", "))"
            func block(_ code: String, _ message: String) {
                blockers.append(Blocker(rule: .r11, code: code, message: "\(name): \(message)"))
            }
            // No function exports User Group Address Lists one by one, whatever the sync state.
            if operation == .export, selection.lists != nil {
                block(
                    "individual-list-export",
                    "lists cannot be exported one by one (there is no such function); export all User Group Address Lists")
                continue
            }
            guard sync.state.isActive else { continue }
            switch (sync.role, operation) {
            case (.none, _):
                continue
            case (.client, .export):
                if !prepared { block("sync-condition-a", conditionA) }
                if !local { block("sync-condition-b", conditionB) }
            case (.client, .import):
                block("sync-client-import", "cannot be imported while custom-settings synchronization (client) has started")
            case (.server, .export):
                if !prepared { block("sync-condition-a", conditionA) }
                if !local { block("sync-condition-b", conditionB) }
            case (.server, .import):
                if !local { block("sync-condition-b", conditionB) }
            }
        }
        return blockers
    }
}
