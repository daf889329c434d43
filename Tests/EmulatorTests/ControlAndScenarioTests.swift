import Foundation
import Logging
import MFPEmulator
import MFPKit
import Testing

@Suite struct ControlAndScenarioTests {
    @Test(
        "Commands parse from words, with clear errors",
        arguments: [
            (["job", "start", "fax"], ControlCommand.jobStart(.fax)),
            (["job", "start", "web-access-error-screen"], .jobStart(.webAccessErrorScreen)),
            (["job", "finish", "all"], .jobFinish(id: nil)),
            (["job", "finish", "J3"], .jobFinish(id: "J3")),
            (["error", "raise", "E602-0001"], .errorRaise(DeviceErrorCode(rawValue: "E602-0001")!)),
            (["sync", "state", "pausing"], .syncState(.pausing)),
            (["unplug"], .unplug), (["replug"], .replug), (["power-cut"], .powerCut),
        ])
    func parse(words: [String], expected: ControlCommand) throws {
        #expect(try ControlCommand.parse(words) == expected)
    }

    @Test(
        "Unknown functions, bad codes and unknown commands are refused",
        arguments: [
            ["job", "start", "coffee"], ["error", "raise", "602"], ["reboot", "now"], [], ["admin-password"],
        ])
    func parseErrors(words: [String]) {
        #expect(throws: EmulatorError.self) { try ControlCommand.parse(words) }
    }

    @Test("unplug and replug need a USB attachment: without one they are refused and say how to get one")
    func unplugNeedsAttachment() throws {
        let fixture = try EmulatorFixture()
        #expect {
            try fixture.device.apply(.unplug)
        } throws: { error in
            "\(error)".contains("emulate --usbredir")
        }
        final class Cable: DeviceAttachment, @unchecked Sendable {
            var moves: [String] = []
            var attachmentDescription: String { "a test cable" }
            func unplug() throws(EmulatorError) { moves.append("unplug") }
            func replug() throws(EmulatorError) { moves.append("replug") }
        }
        let cable = Cable()
        fixture.device.attach(cable)
        #expect(try fixture.device.apply(.unplug) == "ok")
        #expect(try fixture.device.apply(.replug) == "ok")
        #expect(cable.moves == ["unplug", "replug"])
    }

    @Test("The control channel drives a running emulator over its socket")
    func controlSocket() throws {
        let fixture = try EmulatorFixture()
        let control = try ControlServer(device: fixture.device, stateDirectory: fixture.stateDirectory, logger: quietLogger())
        Thread { control.run() }.start()
        defer { control.stop() }
        let id = try #require(
            try ControlChannel.send(words: ["job", "start", "send"], secret: nil, stateDirectory: fixture.stateDirectory)
        ).get()
        #expect(fixture.device.status().activeJobs.map(\.id) == [id])
        let refused = try #require(
            try ControlChannel.send(words: ["job", "finish", "J99"], secret: nil, stateDirectory: fixture.stateDirectory))
        #expect(throws: EmulatorError.self) { try refused.get() }
    }

    @Test("No emulator on a folder: the channel says so instead of hanging")
    func noEmulator() throws {
        #expect(try ControlChannel.send(words: ["state"], secret: nil, stateDirectory: try temporaryDirectory()) == nil)
    }

    @Test("Scenario files parse, sort by time and report the bad line")
    func scenario() throws {
        let scenario = try Scenario.parse(
            """
            # a fax, then an error
            2.5 error raise E602-0001
            0.5 job start fax   # arrives first

            """)
        #expect(scenario.events.map(\.at) == [0.5, 2.5])
        let error = #expect(throws: EmulatorError.self) { try Scenario.parse("1 job start fax\nsoon sleep\n") }
        #expect(error?.description.contains("line 2") == true)
    }

    @Test("A scenario plays on the emulator's clock")
    func playScenario() throws {
        let fixture = try EmulatorFixture()
        fixture.device.play(try Scenario.parse("0 job start fax\n0.1 error raise E602-0001\n"))
        let deadline = Date().addingTimeInterval(10)
        while fixture.device.status().errorCode == nil, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(fixture.device.status().activeJobs.map(\.function) == [.fax])
        #expect(fixture.device.status().errorCode?.rawValue == "E602-0001")
    }

    @Test("A scenario follows the machine's injected clock, not the wall clock")
    func scenarioOnTheInjectedClock() throws {
        let clock = ManualClock()
        let fixture = try EmulatorFixture(now: clock.now)
        fixture.device.play(try Scenario.parse("3600 error raise E602-0001\n"))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(fixture.device.status().errorCode == nil, "an event an hour away happened before the clock moved")
        clock.advance(3601)
        let deadline = Date().addingTimeInterval(10)
        while fixture.device.status().errorCode == nil, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(fixture.device.status().errorCode?.rawValue == "E602-0001")
    }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}
