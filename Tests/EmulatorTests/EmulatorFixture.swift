import BridgeClient
import BridgeLink
import Foundation
import Logging
import MFPEmulator
import MFPKit
import Synchronization
import Testing

let fixtureProfiles = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../firmware-fixtures/profiles").standardized.path

func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A virtual machine served in-process over a socket pair, with a host session on the other end.
final class EmulatorFixture {
    let stateDirectory: String
    let device: VirtualMFP
    let server: EmulatorServer
    let session: DeviceSession

    /// - Parameter adjust: changes the profile before the machine starts (a class, a language).
    init(
        profile: String = "aurora-c5540", stateDirectory: String? = nil,
        now: @escaping @Sendable () -> Date = Date.init, adjust: (inout DeviceProfile) -> Void = { _ in }
    ) throws {
        self.stateDirectory = try stateDirectory ?? temporaryDirectory()
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var loaded = try ProfileCatalog(directory: fixtureProfiles).load(profile)
        adjust(&loaded)
        device = try VirtualMFP(
            profile: loaded,
            stateDirectory: self.stateDirectory, logger: logger, now: now)
        let (host, deviceSide) = try SocketLink.pair()
        server = EmulatorServer(device: device, link: deviceSide, logger: logger)
        let server = self.server
        Thread { server.run() }.start()
        session = DeviceSession(link: host, logger: logger)
    }

    /// hello + login with the factory password.
    func loggedIn(password: String = "7654321") throws -> DeviceSession {
        try session.hello()
        try session.login(user: "Administrator", password: password)
        return session
    }

    deinit {
        server.stop()
        session.close()
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
}
