import BridgeLink
import BridgeSystem
import BridgeTransfer
import Foundation
import Glibc
import Logging
import MFPKit
import Synchronization

/// Hosts one virtual machine for `mfpbridge emulate`: holds its state folder's lock, serves its
/// wire protocol on a pty or a Unix socket (one host connection at a time), runs its control
/// server on `STATE/control.sock` and its scenario, and announces it in the emulator registry
/// (`DATA/emulators/PID.json`) for `mfpbridge devices`.
///
/// `init` takes the lock and opens the machine; `start(on:scenario:)` serves it and returns its
/// address; `stop()` stops serving, removes the socket and the registry entry and releases the
/// lock. Every server runs on a thread of its own.
public final class EmulatorHost: Sendable {
    /// Where hosts connect.
    public enum Endpoint: Sendable, Hashable {
        /// A new pseudo-terminal: hosts open its slave as a serial line.
        case pty
        /// A Unix socket at this path.
        case socket(path: String)
        /// Served by the caller on `device` (the usbredir USB device): the host runs the control
        /// server and the registry entry, announcing `address`.
        case attached(address: String)
    }

    public let device: VirtualMFP
    public let profileName: String
    public let stateDirectory: String
    public let dataDirectory: String
    let logger: Logger
    let lock: DirectoryLock

    private struct Running: Sendable {
        var address: String
        var endpoint: Endpoint
        var control: ControlServer
        var listener: SocketListener?
        var pty: EmulatorServer?
    }

    private let running = Mutex<Running?>(nil)

    /// Takes the lock of `stateDirectory` (made if missing) and opens the machine's saved state.
    /// Throws ``EmulatorError`` when another emulator holds the folder.
    public init(
        profile: DeviceProfile, profileName: String, stateDirectory: String, dataDirectory: String,
        logger: Logger
    ) throws {
        try DurableFile.makeDirectory(stateDirectory)
        guard let held = try DirectoryLock.tryLock(directory: stateDirectory) else {
            throw EmulatorError("another emulator is using \(stateDirectory); stop it or choose another --state folder")
        }
        lock = held
        device = try VirtualMFP(profile: profile, stateDirectory: stateDirectory, logger: logger)
        self.profileName = profileName
        self.stateDirectory = stateDirectory
        self.dataDirectory = dataDirectory
        self.logger = logger
    }

    /// The address hosts connect to (`serial:/dev/pts/N`, `unix:PATH`, or the attached
    /// transport's) once started.
    public var address: String? { running.withLock { $0?.address } }

    /// Serves the machine on `endpoint`, starts its control server, registers it and plays
    /// `scenario`. Returns the address. Call once.
    public func start(on endpoint: Endpoint, scenario: Scenario? = nil) throws -> String {
        let address: String
        var listener: SocketListener?
        var ptyServer: EmulatorServer?
        switch endpoint {
        case .pty:
            let terminal = try PseudoTerminal.open()
            address = "serial:\(terminal.slavePath)"
            let server = EmulatorServer(device: device, link: terminal, logger: logger)
            ptyServer = server
            Thread { server.run() }.start()
        case let .socket(path):
            let socketListener = try SocketListener(path: path)
            listener = socketListener
            address = "unix:\(path)"
            let device = device
            let logger = logger
            Thread {
                // One host connection at a time is enough for a device; each gets its own session.
                while true {
                    let connection: SocketLink?
                    do throws(LinkError) {
                        connection = try socketListener.accept(timeout: .seconds(1))
                    } catch {
                        // Closed (shutting down): stop. Anything else (EMFILE): say so and back off
                        // instead of spinning on the failing call.
                        if error.code == .closed { return }
                        logger.error("cannot accept a host connection: \(error)")
                        Thread.sleep(forTimeInterval: 0.5)
                        continue
                    }
                    guard let connection else { continue }
                    EmulatorServer(device: device, link: connection, logger: logger).run()
                    connection.close()
                }
            }.start()
        case let .attached(attachedAddress):
            address = attachedAddress
        }
        let control = try ControlServer(device: device, stateDirectory: stateDirectory, logger: logger)
        Thread { control.run() }.start()
        running.withLock {
            $0 = Running(address: address, endpoint: endpoint, control: control, listener: listener, pty: ptyServer)
        }

        try? EmulatorRegistry.register(
            EmulatorRegistry.Entry(
                pid: getpid(), profile: profileName, address: address,
                stateDirectory: URL(fileURLWithPath: stateDirectory).standardized.path),
            dataDirectory: dataDirectory)
        if let scenario { device.play(scenario) }
        return address
    }

    /// Stops the control server and the listener, removes the socket file and the registry entry.
    /// The lock is released when the host is released.
    public func stop() {
        guard
            let state = running.withLock({ running -> Running? in
                defer { running = nil }
                return running
            })
        else { return }
        state.control.stop()
        state.pty?.stop()
        state.listener?.close()
        if case let .socket(path) = state.endpoint { _ = try? Syscall.removeIfPresent(path) }
        EmulatorRegistry.unregister(pid: getpid(), dataDirectory: dataDirectory)
    }
}
