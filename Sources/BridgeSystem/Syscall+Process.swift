import Glibc

// Processes, signals, users and threads: not in swift-system either (kill,
// signal, getpwuid, pthread_create), so they call Glibc here.
extension Syscall {
    public static var processID: Int32 { Glibc.getpid() }

    /// `kill(2)`; signal 0 only asks whether `pid` exists (ESRCH when it does not, EPERM when it
    /// belongs to someone else).
    public static func kill(_ pid: Int32, _ signal: Int32) throws(SystemError) {
        _ = try valueOrErrno("kill") { Glibc.kill(pid, signal) }
    }

    /// Whether a process `pid` exists (running or not yet reaped), whoever owns it.
    public static func processExists(_ pid: Int32) -> Bool {
        do throws(SystemError) {
            try kill(pid, 0)
            return true
        } catch {
            return error.errno == EPERM
        }
    }

    /// Ignores `signal` from now on (SIGPIPE, or SIGINT/SIGTERM delivered to a dispatch source).
    public static func ignoreSignal(_ signal: Int32) {
        _ = Glibc.signal(signal, SIG_IGN)
    }

    /// A write to a tty or socket whose other end is gone raises SIGPIPE, which kills the process
    /// by default. Links report `.closed`/`.vanished` instead, so SIGPIPE is ignored once, the
    /// first time any link is created.
    public static func ignoreBrokenPipeSignal() {
        _ = ignoreSIGPIPEOnce
    }

    public static var effectiveUserID: UInt32 { Glibc.geteuid() }

    /// The login name of `uid`, nil when the user database has none.
    public static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let found = result else { return nil }
        return String(cString: found.pointee.pw_name)
    }

    /// The name of group `gid`, nil when the group database has none.
    public static func groupName(_ gid: UInt32) -> String? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, let found = result else { return nil }
        return String(cString: found.pointee.gr_name)
    }

    /// This process's supplementary groups (`getgroups`); empty when it cannot say.
    public static func supplementaryGroups() -> [UInt32] {
        let count = Glibc.getgroups(0, nil)
        guard count > 0 else { return [] }
        var ids = [gid_t](repeating: 0, count: Int(count))
        let got = Glibc.getgroups(count, &ids)
        guard got > 0 else { return [] }
        return Array(ids.prefix(Int(got)))
    }

    /// Starts a detached thread running `body`; throws pthread_create's error (the thread did
    /// not start).
    public static func startThread(_ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        do throws(SystemError) {
            try zeroOrError("pthread_create") {
                pthread_create(
                    &thread, nil,
                    { raw in
                        let me = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
                        me.body()
                        return nil
                    }, box)
            }
        } catch {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw error
        }
        pthread_detach(thread)
    }
}

private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private let ignoreSIGPIPEOnce: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()
