import BridgeClient
import BridgeLink
import BridgeTransfer
import Logging
import MFPEmulator

/// A logged-in session to the machine at an address; for `emulated:` addresses the built-in
/// emulator is started in this process and stopped with the connection.
public struct DeviceConnection {
    public let session: DeviceSession
    let embedded: EmbeddedEmulator?

    public static func open(
        _ target: DeviceTarget, password: PasswordSource, workspace: Workspace = Workspace(),
        logger: Logger
    ) throws -> DeviceConnection {
        let address = try DeviceAddress.parse(target.address)
        // Asked before the device is opened, so a prompt never holds the port.
        let secret = try password(target)
        let link: any Link
        var embedded: EmbeddedEmulator?
        if case let .emulated(profile) = address {
            do {
                let catalog = try ProfileCatalog.locate(explicit: target.profiles)
                let emulator = try EmbeddedEmulator(
                    profileName: profile, catalog: catalog,
                    dataDirectory: workspace.dataDirectory, logger: logger)
                embedded = emulator
                link = emulator.hostLink
            } catch {
                // A data folder it cannot write in is not an unreachable device.
                throw BridgeError(error is FileSystemError ? .failure : .unreachable, "cannot start the built-in emulator: \(error)")
            }
        } else {
            link = try address.openLink()
        }
        let session = DeviceSession(link: link, logger: logger)
        let connection = DeviceConnection(session: session, embedded: embedded)
        do {
            try session.hello()
            try session.login(user: target.user, password: secret)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    public func close() {
        session.close()
        embedded?.stop()
    }
}
