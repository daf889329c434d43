import BridgeClient
import BridgeLink
import BridgeTransfer
import Logging
import MFPEmulator

/// Opens a logged-in session to the device at an address, starting the built-in emulator for
/// `emulated:` addresses.
struct DeviceConnection {
    let session: DeviceSession
    let embedded: EmbeddedEmulator?

    static func open(_ options: DeviceOptions, login: some AdministratorCredentials, logger: Logger) throws(BridgeError) -> DeviceConnection {
        let address = try DeviceAddress.parse(options.device)
        // Asked before the device is opened, so a prompt never holds the port.
        let password = try login.password()
        let link: any Link
        var embedded: EmbeddedEmulator?
        if case let .emulated(profile) = address {
            do {
                let catalog = try ProfileCatalog.locate(explicit: options.profiles)
                let emulator = try EmbeddedEmulator(profileName: profile, catalog: catalog,
                                                    dataDirectory: DataDirectory.path(), logger: logger)
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
            try session.login(user: login.user, password: password)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    func close() {
        session.close()
        embedded?.stop()
    }
}
