/// One reason an import/export may not start, with the rule that says so.
public struct Blocker: Codable, Sendable, Hashable, CustomStringConvertible {
    public var rule: RuleID
    /// Stable, machine-readable: `job-running:fax`, `error-code`, `shutting-down`, ...
    public var code: String
    public var message: String

    public init(rule: RuleID, code: String, message: String) {
        self.rule = rule
        self.code = code
        self.message = message
    }

    public var description: String { "\(rule.rawValue) \(code): \(message)" }
}
