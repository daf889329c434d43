import BridgeSystem
import CLibUSB
import Glibc // the pthread mutex and condition of `Semaphore` (no system call of their own); threads start in BridgeSystem
import Synchronization

/// Owns one libusb context. Every handle opened in it keeps this object alive (handles hold a
/// strong reference), so the context is exited only after its last handle is closed.
///
/// `startEvents()` runs libusb's event loop on a thread of its own, where transfer callbacks run;
/// `deinit` stops that thread and calls `libusb_exit` exactly once.
///
/// `@unchecked Sendable`: `raw` is immutable and libusb contexts are thread-safe; the event
/// thread's state is behind a `Mutex`.
final class USBContext: @unchecked Sendable {
    let raw: OpaquePointer
    /// Shared with the event thread, which must not hold `self` (that would keep it alive).
    private final class EventLoopState: Sendable {
        let flags = Mutex<(running: Bool, stop: Bool)>((false, false))
        let stopped = Semaphore()
    }
    private let loop = EventLoopState()

    init() throws(LinkError) {
        do throws(USBCallError) {
            raw = try USBCall.initContext()
        } catch {
            throw LinkError(
                code: .io,
                message:
                    "cannot start libusb (\(error.name)): is /dev/bus/usb present? In a container, pass the USB bus through",
                errno: nil)
        }
    }

    deinit {
        stopEvents()
        libusb_exit(raw)
    }

    /// Starts the event thread (once). Throws when the system has no thread to give.
    func startEvents() throws(LinkError) {
        let start = loop.flags.withLock { state -> Bool in
            if state.running { return false }
            state.running = true
            return true
        }
        guard start else { return }
        let raw = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(raw)))
        let loop = self.loop
        let body: @Sendable () -> Void = {
            let context = OpaquePointer(bitPattern: raw)!
            while !loop.flags.withLock({ $0.stop }) {
                // Returns at the latest after 100 ms, so a stop request is seen promptly.
                _ = USBCall.handleEvents(context, milliseconds: 100)
            }
            loop.stopped.signal()
        }
        do throws(SystemError) {
            try Syscall.startThread(body)
        } catch {
            loop.flags.withLock { $0.running = false }
            throw LinkError(
                code: .io,
                message:
                    "cannot start libusb's event thread (pthread_create: \(error.reason)): the system is out of threads or memory; close other programs and retry",
                errno: error.errno)
        }
    }

    /// Stops the event thread and waits for it to leave. Transfers must be finished first.
    func stopEvents() {
        let wait = loop.flags.withLock { state -> Bool in
            guard state.running, !state.stop else { return false }
            state.stop = true
            return true
        }
        if wait { loop.stopped.wait() }
    }
}

/// A counting semaphore, on `Monitor`.
final class Semaphore: Sendable {
    private let count = Monitor(0)

    func signal() {
        count.withLock { $0 += 1 }
    }

    func wait() {
        _ = count.wait(until: .now.advanced(by: .seconds(Int64.max / 2_000_000_000))) { (count: inout Int) -> Void? in
            guard count > 0 else { return nil }
            count -= 1
            return ()
        }
    }
}

/// A lock with a condition variable: the state of a link whose completions arrive on libusb's
/// event thread while callers wait, with deadlines, on theirs.
///
/// `@unchecked Sendable`: `value` is only read or written with `mutex` held (in `withLock` and
/// `wait`); the pthread objects live at fixed heap addresses.
final class Monitor<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held, then wakes every waiter.
    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&value)
    }

    /// Waits until `ready` returns a value or `deadline` passes (then nil), re-checking after each
    /// `withLock` elsewhere. `ready` runs with the lock held.
    func wait<T>(until deadline: ContinuousClock.Instant, _ ready: (inout Value) -> T?) -> T? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = ready(&value) { return result }
            let left = deadline - .now
            if left <= .zero { return nil }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let (seconds, attoseconds) = min(left, .seconds(3600)).components
            var until = timespec(tv_sec: now.tv_sec + Int(seconds), tv_nsec: now.tv_nsec + Int(attoseconds / 1_000_000_000))
            if until.tv_nsec >= 1_000_000_000 {
                until.tv_sec += 1
                until.tv_nsec -= 1_000_000_000
            }
            _ = pthread_cond_timedwait(condition, mutex, &until)
        }
    }
}
