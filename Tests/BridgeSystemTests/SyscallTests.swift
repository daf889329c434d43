import Glibc
import Testing
@testable import BridgeSystem

@Suite struct SyscallTests {
    @Test func interruptedCallsAreRetried() throws {
        var calls = 0
        let value = try Syscall.valueOrErrno("fake") { () -> Int32 in
            calls += 1
            if calls < 3 { errno = EINTR; return -1 }
            return 7
        }
        #expect(value == 7 && calls == 3)
    }

    @Test func interruptIsThrownWhenNotRetried() {
        var calls = 0
        #expect(throws: SystemError.self) {
            _ = try Syscall.valueOrErrno("fake", retryOnInterrupt: false) { () -> Int32 in
                calls += 1
                errno = EINTR
                return -1
            }
        }
        #expect(calls == 1)
    }

    @Test func otherErrorsCarryCallAndErrno() {
        do throws(SystemError) {
            _ = try Syscall.valueOrErrno("fake") { () -> Int in errno = EIO; return -1 }
            Issue.record("did not throw")
        } catch {
            #expect(error.call == "fake" && error.errno == EIO)
        }
    }

    @Test func pollTimeoutsRoundUp() {
        #expect(Duration.zero.pollMilliseconds == 0)
        #expect(Duration.nanoseconds(1).pollMilliseconds == 1)
        #expect(Duration.milliseconds(1500).pollMilliseconds == 1500)
        #expect(Duration.seconds(Int64.max / 2).pollMilliseconds == Int32.max)
        #expect(Duration.seconds(-1).pollMilliseconds == 0)
    }
}
