import Foundation
import Glibc
import Synchronization
import Testing

@testable import BridgeLink

/// Runs `body` on its own thread (not the test's cooperative pool, which blocking I/O would
/// starve) and hands back its result.
final class Worker<T: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<T?>(nil)

    init(_ body: @escaping @Sendable () -> T) {
        let thread = Thread { [self] in
            let value = body()
            self.result.withLock { $0 = value }
            self.done.signal()
        }
        thread.start()
    }

    /// The result, or nil if the thread did not finish within `timeout`.
    func join(timeout: Duration = .seconds(30)) -> T? {
        let (seconds, attoseconds) = timeout.components
        let wait = DispatchTime.now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        guard done.wait(timeout: wait) == .success else { return nil }
        return result.withLock { $0 }
    }
}

/// Reads until `count` bytes arrived or `within` passed (then returns what came).
func receiveExactly(_ link: any Link, count: Int, within: Duration = .seconds(20)) throws(LinkError) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    let deadline = ContinuousClock.now + within
    while bytes.count < count {
        let left = deadline - .now
        if left <= .zero { break }
        bytes += try link.receive(maxBytes: min(count - bytes.count, 65536), timeout: min(left, .milliseconds(500)))
    }
    return bytes
}

/// A capture of a LinkError thrown by `body`, or nil if it did not throw.
func linkError(_ body: () throws -> Void) -> LinkError? {
    do {
        try body()
        return nil
    } catch let error as LinkError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// Deterministic pseudo-random bytes (every value appears in a large sample).
func patternBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

/// A fresh private folder for socket files (short enough for sun_path).
func temporaryFolder() -> String {
    let path = "/tmp/mfpb-link-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// CPU time this thread has used.
func threadCPUTime() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
}
