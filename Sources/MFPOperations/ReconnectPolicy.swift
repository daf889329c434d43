import BridgeClient
import Foundation

/// What to do when the machine goes away mid-way (unplugged, powered off, a pulled cable): give
/// up at once (exit 8 or 3, to be run again), or wait for the same machine to come back at the
/// same address and continue.
public struct ReconnectPolicy: Sendable {
    public var wait: Bool
    /// How long to wait for the machine; the wait starts again after each interruption that made progress.
    public var timeout: TimeInterval

    public init(wait: Bool = false, timeout: TimeInterval = 600) {
        self.wait = wait
        self.timeout = timeout
    }

    public static let never = ReconnectPolicy()

    /// Runs `body`, and when waiting runs it again after each interruption (exit 8) or lost
    /// machine (exit 3) until it ends otherwise or the machine stays away past the timeout. A
    /// usage error (an ambiguous address) is never retried.
    public func run<T>(events: OperationEvents = { _ in }, _ body: () throws -> T) throws -> T {
        var announced = false
        var deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                return try body()
            } catch let error as BridgeError where wait && (error.status == .interrupted || error.status == .unreachable) {
                guard Date() < deadline else {
                    events(.notice("the device did not return within \(Int(timeout)) s"))
                    throw error
                }
                if !announced {
                    events(
                        .waiting(
                            "\(error.message)\nWaiting for the device to return (up to \(Int(timeout)) s; Ctrl-C to stop, `mfpbridge resume` later)..."
                        ))
                    announced = true
                }
                Thread.sleep(forTimeInterval: 1)
                if error.status == .interrupted {
                    // Progress was made: the wait starts again.
                    deadline = Date().addingTimeInterval(timeout)
                }
            }
        }
    }
}
