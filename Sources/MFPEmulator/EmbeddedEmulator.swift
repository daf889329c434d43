import BridgeLink
import BridgeTransfer
import Foundation
import Logging
import MFPKit

/// The built-in emulator behind `emulated:PROFILE`: started inside the command, connected by a
/// socket pair, its state kept in `DATA/emulated/PROFILE` so that consecutive commands see the
/// same machine. Its control channel answers while the command runs.
public final class EmbeddedEmulator: Sendable {
    public let device: VirtualMFP
    public let hostLink: SocketLink
    let server: EmulatorServer
    let control: ControlServer
    let lock: DirectoryLock

    public static func stateDirectory(profile: String, dataDirectory: String) -> String {
        "\(dataDirectory)/emulated/\(profile)"
    }

    public init(profileName: String, catalog: ProfileCatalog, dataDirectory: String, logger: Logger) throws {
        let profile = try catalog.load(profileName)
        let directory = Self.stateDirectory(profile: profileName, dataDirectory: dataDirectory)
        try DurableFile.makeDirectory(directory)
        guard let lock = try DirectoryLock.tryLock(directory: directory) else {
            throw EmulatorError("the built-in emulated \(profileName) is in use by another mfpbridge command; wait for it to finish")
        }
        self.lock = lock
        device = try VirtualMFP(profile: profile, stateDirectory: directory, logger: logger)
        let (host, deviceSide) = try SocketLink.pair()
        hostLink = host
        server = EmulatorServer(device: device, link: deviceSide, logger: logger)
        control = try ControlServer(device: device, stateDirectory: directory, logger: logger)
        let server = self.server
        let control = self.control
        Thread { server.run() }.start()
        Thread { control.run() }.start()
    }

    public func stop() {
        server.stop()
        control.stop()
        hostLink.close()
    }
}
