import BridgeClient
import BridgeWire
import MFPEmulator
import Testing

@Suite("R1 in the emulator: administrator login")
struct EmulatorAuthenticationTests {
    @Test("R1: status needs a login")
    func statusNeedsLogin() throws {
        let fixture = try EmulatorFixture()
        try fixture.session.hello()
        let error = #expect(throws: BridgeError.self) { try fixture.session.status() }
        #expect(error?.status == .authentication)
        #expect(error?.message.contains("R1") == true)
    }

    @Test("R1: the factory password logs in; a wrong one is refused with exit status 5")
    func wrongPassword() throws {
        let fixture = try EmulatorFixture()
        try fixture.session.hello()
        let error = #expect(throws: BridgeError.self) { try fixture.session.login(user: "Administrator", password: "1234567") }
        #expect(error?.status == .authentication)
        try fixture.session.login(user: "Administrator", password: "7654321")
        #expect(try fixture.session.status().model == "Aurora C5540i")
    }

    @Test("R1: an unknown user is refused like a wrong password")
    func unknownUser() throws {
        let fixture = try EmulatorFixture()
        try fixture.session.hello()
        let error = #expect(throws: BridgeError.self) { try fixture.session.login(user: "guest", password: "7654321") }
        #expect(error?.message.contains("wrong user name or password") == true)
    }

    @Test("R1: five wrong passwords lock logins, even the right one, until unlocked")
    func lockout() throws {
        let fixture = try EmulatorFixture()
        try fixture.session.hello()
        for _ in 0..<5 {
            #expect(throws: BridgeError.self) { try fixture.session.login(user: "Administrator", password: "nope") }
        }
        let locked = #expect(throws: BridgeError.self) { try fixture.session.login(user: "Administrator", password: "7654321") }
        #expect(locked?.message.contains("refuses logins") == true)
        #expect(locked?.status == .authentication)
        _ = try fixture.device.apply(.unlockLogins)
        try fixture.session.login(user: "Administrator", password: "7654321")
    }

    @Test("R1: the lockout survives an emulator restart")
    func lockoutPersists() throws {
        let first = try EmulatorFixture()
        try first.session.hello()
        for _ in 0..<5 {
            #expect(throws: BridgeError.self) { try first.session.login(user: "Administrator", password: "nope") }
        }
        let second = try EmulatorFixture(stateDirectory: first.stateDirectory)
        try second.session.hello()
        #expect(throws: BridgeError.self) { try second.session.login(user: "Administrator", password: "7654321") }
    }

    @Test("R1: the administrator password can be changed through the control channel")
    func changePassword() throws {
        let fixture = try EmulatorFixture()
        _ = try fixture.device.apply(.adminPassword("new-secret-1"))
        try fixture.session.hello()
        #expect(throws: BridgeError.self) { try fixture.session.login(user: "Administrator", password: "7654321") }
        try fixture.session.login(user: "Administrator", password: "new-secret-1")
    }

    @Test("R1: the state file holds no password in clear")
    func noClearPassword() throws {
        let fixture = try EmulatorFixture()
        _ = try fixture.device.apply(.adminPassword("Sup3r-Secret"))
        let state = try String(contentsOfFile: fixture.stateDirectory + "/state.json", encoding: .utf8)
        #expect(!state.contains("Sup3r-Secret"))
        #expect(!state.contains("7654321"))
    }

    @Test("A host speaking only a newer protocol is told so")
    func versionNegotiation() throws {
        let fixture = try EmulatorFixture()
        let response = try fixture.session.call(.hello(minVersion: 2, maxVersion: 3, software: "future"))
        guard case let .failure(failure) = response else {
            Issue.record("expected a refusal, got \(response)")
            return
        }
        #expect(failure.code == .unsupportedVersion)
    }
}
