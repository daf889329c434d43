import BridgeClient
import BridgeWire
import Foundation
import MFPEmulator
import MFPKit
import Testing

@Suite("R4, R5, R6 in the emulator: the device refuses by itself")
struct EmulatorRulesTests {
    func reserve(_ session: DeviceSession, categories: [SettingCategory] = [.addressBook]) throws -> Response {
        try session.call(.reserve(operation: "export", categories: categories))
    }

    // R5: a host that skips its own checks is still refused by the device.
    @Test(
        "R5: the device refuses to reserve while a blocking job runs", arguments: DeviceFunction.allCases.filter(\.blocksImportExportStart))
    func refusesWhileJobRuns(function: DeviceFunction) throws {
        let fixture = try EmulatorFixture()
        let session = try fixture.loggedIn()
        let id = try fixture.device.apply(.jobStart(function))
        guard case let .failure(failure) = try reserve(session) else {
            Issue.record("reserve succeeded while \(function.rawValue) ran")
            return
        }
        #expect(failure.code == .refused)
        #expect(failure.blockers.map(\.code) == ["job-running:\(function.rawValue)"])
        _ = try fixture.device.apply(.jobFinish(id: id))
        guard case .reserved = try reserve(session) else {
            Issue.record("reserve refused after the job finished")
            return
        }
    }

    @Test("R5: the device refuses while an error code shows or it shuts down")
    func refusesOnErrorAndShutdown() throws {
        let fixture = try EmulatorFixture()
        let session = try fixture.loggedIn()
        _ = try fixture.device.apply(.errorRaise(DeviceErrorCode(rawValue: "E602-0001")!))
        _ = try fixture.device.apply(.shutdown)
        guard case let .failure(failure) = try reserve(session) else {
            Issue.record("reserve succeeded")
            return
        }
        #expect(Set(failure.blockers.map(\.code)) == ["error-code", "shutting-down"])
        #expect(DeviceSession.failure(failure).status == .refusedByDeviceState)
    }

    @Test(
        "R4: while reserved, the device refuses every listed function and sleep",
        arguments: DeviceFunction.allCases.filter(\.refusedDuringImportExport))
    func refusesDuringImportExport(function: DeviceFunction) throws {
        let fixture = try EmulatorFixture()
        let session = try fixture.loggedIn()
        guard case let .reserved(token, _) = try reserve(session) else {
            Issue.record("could not reserve")
            return
        }
        let error = #expect(throws: EmulatorError.self) { try fixture.device.apply(.jobStart(function)) }
        #expect(error?.description.contains("busy: import/export in progress") == true)
        #expect(throws: EmulatorError.self) { try fixture.device.apply(.sleep) }
        #expect(try session.call(.release(token: token)) == .ok)
        #expect(try fixture.device.apply(.jobStart(function)).hasPrefix("J"))
    }

    @Test("R4: a reservation lapses without keepalive, and a keepalive holds it")
    func keepalive() throws {
        let clock = ManualClock()
        let fixture = try EmulatorFixture(now: { clock.now() })
        let session = try fixture.loggedIn()
        guard case let .reserved(token, seconds) = try reserve(session) else {
            Issue.record("could not reserve")
            return
        }
        clock.advance(TimeInterval(seconds - 5))
        #expect(try session.call(.keepalive(token: token)) == .ok)
        clock.advance(TimeInterval(seconds - 5))
        #expect(fixture.device.status().importExportInProgress)
        #expect(throws: EmulatorError.self) { try fixture.device.apply(.jobStart(.fax)) }
        clock.advance(10)
        #expect(!fixture.device.status().importExportInProgress)
        guard case let .failure(failure) = try session.call(.keepalive(token: token)) else {
            Issue.record("a lapsed reservation was kept alive")
            return
        }
        #expect(failure.code == .notReserved)
        #expect(try fixture.device.apply(.jobStart(.fax)).hasPrefix("J"))
    }

    @Test("R12: a second reservation is refused while one is held")
    func secondReservation() throws {
        let fixture = try EmulatorFixture()
        let session = try fixture.loggedIn()
        guard case .reserved = try reserve(session) else {
            Issue.record("could not reserve")
            return
        }
        guard case let .failure(failure) = try reserve(session) else {
            Issue.record("second reservation succeeded")
            return
        }
        #expect(failure.blockers.map(\.rule) == [.r12])
    }

    @Test("R6: a reservation pauses running settings sync; releasing resumes it")
    func syncPauses() throws {
        let fixture = try EmulatorFixture()
        _ = try fixture.device.apply(.syncRole(.client))
        _ = try fixture.device.apply(.syncState(.running))
        let session = try fixture.loggedIn()
        guard case let .reserved(token, _) = try reserve(session) else {
            Issue.record("could not reserve")
            return
        }
        #expect(try session.status().sync.state == .paused)
        _ = try session.call(.release(token: token))
        #expect(try session.status().sync.state == .running)
    }

    @Test("R11: a sync client refuses to export personal settings unless (a) and (b) hold; the address book exports")
    func syncRestrictsPersonalData() throws {
        let fixture = try EmulatorFixture()
        _ = try fixture.device.apply(.syncRole(.client))
        _ = try fixture.device.apply(.syncState(.running))
        let session = try fixture.loggedIn()
        guard case let .reserved(token, _) = try reserve(session, categories: [.personalSettings]) else {
            Issue.record("reserve refused")
            return
        }
        guard case let .failure(failure) = try session.call(.exportOpen(token: token, categories: [CategorySelection(.personalSettings)]))
        else {
            Issue.record("export of personal settings allowed while sync runs without (a) and (b)")
            return
        }
        #expect(failure.code == .incompatible)
        #expect(Set(failure.blockers.map(\.code)) == ["sync-condition-a", "sync-condition-b"])
        _ = try fixture.device.apply(.syncPrepareExport)
        _ = try fixture.device.apply(.syncDestination("localhost:8443"))
        let exported = try session.exportSettings(
            token: token, selections: [CategorySelection(.personalSettings)],
            pendingFolder: try temporaryDirectory())
        #expect(!exported.snapshot[.personalSettings].isEmpty)
    }

    /// A transfer the device has not all received is resumable (exit 8, run the same command
    /// again); one that arrived damaged was dropped and is a plain failure (exit 1).
    @Test("R3: the device's incomplete and damaged answers map to exit 8 and exit 1")
    func incompleteIsResumable() {
        #expect(DeviceSession.failure(DeviceFailure(code: .incomplete, message: "half")).status == .interrupted)
        #expect(DeviceSession.failure(DeviceFailure(code: .damaged, message: "digest")).status == .failure)
    }

    @Test("Jobs, error codes and power survive an emulator restart; a shutdown comes back ready")
    func persistence() throws {
        let directory = try temporaryDirectory()
        do {
            let fixture = try EmulatorFixture(stateDirectory: directory)
            _ = try fixture.device.apply(.jobStart(.fax))
            _ = try fixture.device.apply(.errorRaise(DeviceErrorCode(rawValue: "E602-0001")!))
        }
        do {
            let fixture = try EmulatorFixture(stateDirectory: directory)
            let status = fixture.device.status()
            #expect(status.activeJobs.map(\.function) == [.fax])
            #expect(status.errorCode?.rawValue == "E602-0001")
            _ = try fixture.device.apply(.shutdown)
        }
        let fixture = try EmulatorFixture(stateDirectory: directory)
        #expect(fixture.device.status().power == .ready)
        #expect(fixture.device.status().activeJobs.isEmpty)
    }

    @Test("A state folder of another profile is refused, not overwritten")
    func wrongProfile() throws {
        let fixture = try EmulatorFixture(profile: "aurora-c5540")
        #expect(throws: (any Error).self) { try EmulatorFixture(profile: "meridian-m3200", stateDirectory: fixture.stateDirectory) }
    }
}
