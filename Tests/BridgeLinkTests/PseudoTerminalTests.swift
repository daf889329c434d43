import BridgeSystem
import BridgeWire
import Foundation
import Glibc
import Testing

@testable import BridgeLink

/// Serial links on real pseudo-terminals: the kernel's tty layer and termios, no mocks.
@Suite struct PseudoTerminalTests {
    @Test func allByteValuesPassUnchangedBothWays() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        let host = try SerialLink.open(path: device.slavePath)
        defer { host.close() }
        #expect(host.framing == .cobs && device.framing == .cobs)
        #expect(host.address == "serial:\(device.slavePath)@115200")

        // CR, LF, ^C, ^D, ^Q/^S, ^Z, DEL... any translation, echo or signal would change this.
        let all = (0...255).map { UInt8($0) }
        let sample = all + all.reversed() + [0x0D, 0x0A, 0x03, 0x04, 0x11, 0x13, 0x1A, 0x1C, 0x7F, 0xFF, 0x0D]

        try host.send(sample)
        #expect(try receiveExactly(device, count: sample.count) == sample)
        try device.send(sample)
        #expect(try receiveExactly(host, count: sample.count) == sample)
        // No echo: nothing more arrives on either side.
        #expect(try host.receive(maxBytes: 64, timeout: .milliseconds(50)) == [])
        #expect(try device.receive(maxBytes: 64, timeout: .milliseconds(50)) == [])
    }

    @Test func oneMebibyteEachWayConcurrently() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        let host = try SerialLink.open(path: device.slavePath)
        defer { host.close() }
        let size = 1 << 20
        let up = patternBytes(size, seed: 1)
        let down = patternBytes(size, seed: 2)

        let hostSends = Worker { Result { () throws(LinkError) in try host.send(up) } }
        let deviceSends = Worker { Result { () throws(LinkError) in try device.send(down) } }
        let deviceReceives = Worker { Result { () throws(LinkError) in try receiveExactly(device, count: size, within: .seconds(60)) } }
        let hostReceived = try receiveExactly(host, count: size, within: .seconds(60))

        #expect(hostReceived == down)
        #expect(try deviceReceives.join(timeout: .seconds(60))?.get() == up)
        #expect(throws: Never.self) { try hostSends.join()?.get() }
        #expect(throws: Never.self) { try deviceSends.join()?.get() }
    }

    @Test func everyStandardBaudRateIsSetAndReadBack() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        #expect(SerialLink.standardBaudRates.count == 30)
        #expect(SerialLink.standardBaudRates.first == 50 && SerialLink.standardBaudRates.last == 4_000_000)
        // Also proves a closed host leaves the port free for the next one.
        for rate in SerialLink.standardBaudRates {
            let host = try SerialLink.open(path: device.slavePath, baudRate: rate)
            let actual = try host.currentBaudRates()
            #expect(actual.output == rate, "output rate for \(rate)")
            #expect(actual.input == rate, "input rate for \(rate)")
            host.close()
        }
    }

    @Test(arguments: [0, -9600, 12345, 115201, 250000, 5_000_000])
    func nonStandardBaudRateIsRejected(rate: Int) throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        let error = linkError { _ = try SerialLink.open(path: device.slavePath, baudRate: rate) }
        #expect(error?.code == .unsupportedBaudRate)
        #expect(error?.message.contains("115200") == true && error?.message.contains("4000000") == true)
        // The port was never opened: a host can still take it.
        let host = try SerialLink.open(path: device.slavePath)
        host.close()
    }

    @Test func secondOpenOfTheSamePortIsBusy() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        let first = try SerialLink.open(path: device.slavePath)
        let error = linkError { _ = try SerialLink.open(path: device.slavePath) }
        #expect(error?.code == .busy)
        #expect(error?.message.contains("in use by another program") == true)
        first.close()
        let second = try SerialLink.open(path: device.slavePath)
        second.close()
    }

    /// The emulator keeps its pty's slave open, so a TIOCEXCL flag left by a killed bridge would
    /// lock every later unprivileged bridge out: on a pty the bridge relies on flock alone, which
    /// the kernel drops with the process. (Root ignores TIOCEXCL, so the flag itself is checked.)
    @Test func aPtyIsGuardedByFlockAloneSoAKilledBridgeLeavesItUsable() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        let host = try SerialLink.open(path: device.slavePath)
        defer { host.close() }
        let probe = open(device.slavePath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        #expect(probe >= 0)
        defer { close(probe) }
        #expect(try Syscall.isExclusive(probe) == false, "the pty was left exclusive")
        #expect(linkError { _ = try SerialLink.open(path: device.slavePath) }?.code == .busy)
        var info = stat()
        #expect(stat(device.slavePath, &info) == 0 && SerialLink.isPseudoTerminalSlave(info.st_rdev))
        #expect(stat("/dev/null", &info) == 0 && !SerialLink.isPseudoTerminalSlave(info.st_rdev))
    }

    @Test func missingPortIsNotFound() {
        for path in ["/dev/mfpb-no-such-port", "/dev/null/ttyUSB0"] {
            let error = linkError { _ = try SerialLink.open(path: path) }
            #expect(error?.code == .notFound, "\(path)")
            #expect(error?.errno == ENOENT || error?.errno == ENOTDIR)
            #expect(error?.message.contains("mfpbridge devices") == true)
        }
    }

    @Test func regularFileAndNonTerminalDeviceAreNotATerminal() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/not-a-port"
        #expect(FileManager.default.createFile(atPath: file, contents: Data([1, 2, 3])))
        #expect(linkError { _ = try SerialLink.open(path: file) }?.code == .notATerminal)
        // A character device that is not a tty: found by tcgetattr/TIOCEXCL (ENOTTY).
        #expect(linkError { _ = try SerialLink.open(path: "/dev/null") }?.code == .notATerminal)
    }

    @Test func hostSeesVanishedPromptlyWhenTheDeviceCloses() throws {
        let device = try PseudoTerminal.open()
        let host = try SerialLink.open(path: device.slavePath)
        defer { host.close() }
        try device.send([1, 2, 3])
        #expect(try receiveExactly(host, count: 3) == [1, 2, 3])

        // The host is already blocked in receive when the emulator goes away.
        let started = ContinuousClock.now
        let blocked = Worker { () -> (LinkError?, Duration) in
            let error = linkError { _ = try host.receive(maxBytes: 100, timeout: .seconds(10)) }
            return (error, ContinuousClock.now - started)
        }
        Thread.sleep(forTimeInterval: 0.1)
        device.close()
        let outcome = try #require(blocked.join(timeout: .seconds(5)))
        #expect(outcome.0?.code == .vanished)
        #expect(outcome.0?.message.contains("went away") == true)
        // Woken, not timed out: the join's 5 s is half the receive's own 10 s timeout.

        // And every later call says the same at once.
        #expect(linkError { _ = try host.receive(maxBytes: 1, timeout: .seconds(5)) }?.code == .vanished)
        #expect(linkError { try host.send([1]) }?.code == .vanished)
    }

    @Test func deviceKeepsWorkingBetweenHosts() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        for round in 0..<3 {
            let host = try SerialLink.open(path: device.slavePath, baudRate: 9600)
            try host.send([UInt8(round), 0xAA])
            #expect(try receiveExactly(device, count: 2) == [UInt8(round), 0xAA])
            try device.send([0x55, UInt8(round)])
            #expect(try receiveExactly(host, count: 2) == [0x55, UInt8(round)])
            host.close()
            // No host now: the master neither fails nor sees an end of file.
            #expect(try device.receive(maxBytes: 16, timeout: .milliseconds(30)) == [])
            try device.send([0x99]) // lands in the slave's queue; the next open flushes it
        }
    }

    @Test func receiveTimeoutReturnsEmptyWithoutSpinning() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        let host = try SerialLink.open(path: device.slavePath)
        defer { host.close() }
        let measured = try #require(
            Worker { () -> (Result<[UInt8], LinkError>, Duration, Duration) in
                let cpuBefore = threadCPUTime()
                let wallBefore = ContinuousClock.now
                let result = Result { () throws(LinkError) in try host.receive(maxBytes: 10, timeout: .milliseconds(300)) }
                return (result, ContinuousClock.now - wallBefore, threadCPUTime() - cpuBefore)
            }.join())
        #expect(try measured.0.get() == [])
        #expect(measured.1 >= .milliseconds(290))
        // A spinning loop would burn ~300 ms of CPU; poll burns next to nothing.
        #expect(measured.2 < .milliseconds(100))
        #expect(try host.receive(maxBytes: 10, timeout: .zero) == [])
    }

    @Test func closeFromAnotherThreadUnblocksReceive() throws {
        let device = try PseudoTerminal.open()
        defer { device.close() }
        let host = try SerialLink.open(path: device.slavePath)
        for link in [host as any Link, device as any Link] {
            let started = ContinuousClock.now
            let blocked = Worker { () -> (LinkError?, Duration) in
                let error = linkError { _ = try link.receive(maxBytes: 100, timeout: .seconds(10)) }
                return (error, ContinuousClock.now - started)
            }
            Thread.sleep(forTimeInterval: 0.1)
            link.close()
            link.close() // idempotent
            let outcome = try #require(blocked.join(timeout: .seconds(5)))
            #expect(outcome.0?.code == .closed, "\(link.address)") // woken: the join's 5 s is under the receive's 10 s
            #expect(linkError { try link.send([1]) }?.code == .closed)
        }
    }

    @Test func closeRacesWithTrafficSafely() throws {
        // Many closes racing a busy receiver and sender: no crash, no EBADF, every call ends.
        for _ in 0..<20 {
            let device = try PseudoTerminal.open()
            let host = try SerialLink.open(path: device.slavePath)
            let reader = Worker { _ = try? receiveExactly(host, count: 1 << 30, within: .seconds(5)) }
            let writer = Worker { for _ in 0..<1000 { if (try? device.send([1, 2, 3, 4])) == nil { break } } }
            let closers = (0..<3).map { _ in Worker { host.close() } }
            for closer in closers { _ = closer.join() }
            device.close()
            #expect(reader.join(timeout: .seconds(10)) != nil)
            #expect(writer.join(timeout: .seconds(10)) != nil)
        }
    }
}
