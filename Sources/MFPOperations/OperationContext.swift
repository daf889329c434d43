import Logging

/// What every operation runs with: where the bridge keeps its files, how it gets the password,
/// where its events go, its log, and whether it waits for a machine that went away.
public struct OperationContext: Sendable {
    public var workspace: Workspace
    public var password: PasswordSource
    public var events: OperationEvents
    public var logger: Logger
    public var reconnect: ReconnectPolicy

    public init(
        workspace: Workspace = Workspace(), password: @escaping PasswordSource, events: @escaping OperationEvents = { _ in },
        logger: Logger = Logger(label: "mfpbridge"), reconnect: ReconnectPolicy = .never
    ) {
        self.workspace = workspace
        self.password = password
        self.events = events
        self.logger = logger
        self.reconnect = reconnect
    }

    var history: OperationLog {
        let events = self.events
        return OperationLog(workspace: workspace) { events(.notice($0)) }
    }

    /// Opens the machine and binds `record` to it: an operation that reached a machine continues
    /// on that machine only. Closes the connection again if the machine is refused.
    func connect(_ target: DeviceTarget, binding record: inout PendingOperation?) throws -> DeviceConnection {
        let connection = try DeviceConnection.open(target, password: password, workspace: workspace, logger: logger)
        if var bound = record {
            do {
                try workspace.pending.bind(&bound, to: connection.session)
            } catch {
                connection.close()
                throw error
            }
            record = bound
        }
        return connection
    }
}
