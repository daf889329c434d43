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
            _ = try Syscall.valueOrErrno("fake") { () -> Int in
                errno = EIO; return -1
            }
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

@Suite struct SystemErrorTests {
    @Test func failuresKeepCallPathAndErrno() {
        do throws(SystemError) {
            _ = try Syscall.stat("/nonexistent-mfpbridge-test/file")
            Issue.record("did not throw")
        } catch {
            #expect(error.call == "stat" && error.path == "/nonexistent-mfpbridge-test/file" && error.errno == ENOENT)
            #expect(error.description == "stat /nonexistent-mfpbridge-test/file: No such file or directory (ENOENT)")
        }
    }

    @Test func errnoNamesAndReasons() {
        #expect(SystemError.symbol(EROFS) == "EROFS")
        #expect(SystemError.symbol(9999) == "errno 9999")
        #expect(SystemError.reason(ENOSPC) == "No space left on device")
    }
}

@Suite struct FileCallTests {
    @Test func writesReadsAndRemoves() throws {
        let path = "/tmp/mfpb-system-\(Syscall.processID)-\(UInt32.random(in: 0 ... .max))"
        let file = try FileDescriptor(opening: path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
        try Syscall.pwriteAll(file.raw, [1, 2, 3, 4, 5], at: 2)
        try Syscall.fsync(file.raw)
        #expect(try Syscall.fstat(file.raw).st_size == 7)
        #expect(try Syscall.preadFully(file.raw, count: 10, at: 1) == [0, 1, 2, 3, 4, 5])
        try Syscall.ftruncate(file.raw, to: 3)
        #expect(try Syscall.stat(path).st_size == 3)
        #expect(try Syscall.removeIfPresent(path))
        #expect(try !Syscall.removeIfPresent(path))
        #expect(!Syscall.exists(path))
    }

    @Test func anOwnedDescriptorIsClosedWhenDropped() throws {
        let (readEnd, writeEnd) = try Syscall.pipe()
        defer { Syscall.close(readEnd) }
        do {
            let owned = FileDescriptor(takingOwnershipOf: writeEnd)
            try Syscall.writeAll(owned.raw, [7])
        }
        // The write end is closed: the byte, then end of file (not EAGAIN, as while it is open).
        #expect(try Syscall.read(readEnd, maxBytes: 8) == [7])
        #expect(try Syscall.read(readEnd, maxBytes: 8) == [])
    }
}
