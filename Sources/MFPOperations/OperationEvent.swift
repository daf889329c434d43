/// What a running operation tells whoever drives it (a terminal, a rig runner's log): nothing
/// here is printed by the library itself.
public enum OperationEvent: Sendable {
    /// R3: from here until the end, the machine must stay on and connected.
    case doNotPowerOff(String)
    /// Bytes of a transfer so far, of the total.
    case progress(label: String, done: Int, total: Int)
    /// The machine went away; waiting for it to return (`ReconnectPolicy`).
    case waiting(String)
    /// Something worth saying that is not an error (an earlier, interrupted import not applied).
    case notice(String)
}

/// Receives the events of an operation, on the thread that runs it.
public typealias OperationEvents = @Sendable (OperationEvent) -> Void
