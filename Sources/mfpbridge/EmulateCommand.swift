import ArgumentParser
import BridgeClient
import BridgeLink
import BridgeSystem
import BridgeTransfer
import Dispatch
import Foundation
import Logging
import MFPEmulator

struct Emulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve one virtual multifunction printer on a pty or a Unix socket.",
        discussion: """
        Prints `ready ADDRESS` as the first line of standard output once hosts can connect \
        (for example `ready serial:/dev/pts/7`), then serves until interrupted. The machine's state \
        is kept in --state DIR (crash-safe) and its control channel is DIR/control.sock: drive it \
        with `mfpbridge emulate-ctl --state DIR ...`. A scenario file plays control commands on a \
        timeline (one `SECONDS COMMAND` a line).
        """)

    @Option(name: .long, help: "The device profile (a name in firmware-fixtures/profiles).")
    var profile: String

    @Flag(name: .long, help: "Serve on a new pseudo-terminal (a serial line).")
    var pty = false

    @Option(name: .long, help: ArgumentHelp("Serve on a Unix socket at this path.", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("The folder that keeps the machine's state.", valueName: "dir"))
    var state: String

    @Option(name: .long, help: ArgumentHelp("Play this scenario file of timed control commands.", valueName: "file"))
    var scenario: String?

    @Option(name: .long, help: ArgumentHelp("Where the device profiles are.", valueName: "dir"))
    var profiles: String?

    @Flag(name: .shortAndLong, help: "Log every request and control command to standard error.")
    var verbose = false

    func validate() throws {
        guard pty != (socket != nil) else {
            throw ValidationError("choose exactly one of --pty and --socket PATH")
        }
    }

    func run() throws {
        LoggingBootstrap.once()
        let logger = {
            var logger = Logger(label: "mfpbridge.emulator")
            logger.logLevel = verbose ? .debug : .info
            return logger
        }()
        let catalog: ProfileCatalog
        let device: VirtualMFP
        let lock: DirectoryLock
        var timeline: Scenario?
        do {
            catalog = try ProfileCatalog.locate(explicit: profiles)
            let deviceProfile = try catalog.load(profile)
            if let scenario {
                guard let text = try? String(contentsOfFile: scenario, encoding: .utf8) else {
                    throw BridgeError(.usage, "cannot read the scenario file \(scenario)")
                }
                timeline = try Scenario.parse(text, name: scenario)
            }
            try DurableFile.makeDirectory(state)
            guard let held = try DirectoryLock.tryLock(directory: state) else {
                throw BridgeError(.failure, "another emulator is using \(state); stop it or choose another --state folder")
            }
            lock = held
            device = try VirtualMFP(profile: deviceProfile, stateDirectory: state, logger: logger)
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError(.failure, "\(error)")
        }

        let address: String
        var servers: [EmulatorServer] = []
        var listener: SocketListener?
        if pty {
            let terminal = try PseudoTerminal.open()
            address = "serial:\(terminal.slavePath)"
            let server = EmulatorServer(device: device, link: terminal, logger: logger)
            servers.append(server)
            Thread { server.run() }.start()
        } else {
            let path = socket!
            let socketListener = try SocketListener(path: path)
            listener = socketListener
            address = "unix:\(path)"
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
        }
        let control = try ControlServer(device: device, stateDirectory: state, logger: logger)
        Thread { control.run() }.start()

        let dataDirectory = DataDirectory.path()
        let pid = Syscall.processID
        try? EmulatorRegistry.register(EmulatorRegistry.Entry(pid: pid, profile: profile, address: address,
                                             stateDirectory: URL(fileURLWithPath: state).standardized.path),
                                       dataDirectory: dataDirectory)
        if let timeline { device.play(timeline) }
        Output.line("ready \(address)")
        logger.info("emulating \(device.profile.model) (\(profile)) at \(address), state in \(state)")

        // Leave cleanly on SIGINT/SIGTERM: unregister, remove the sockets.
        let socketPath = socket
        for signalNumber in [SIGINT, SIGTERM] {
            Syscall.ignoreSignal(signalNumber)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler {
                control.stop()
                listener?.close()
                if let socketPath { _ = try? Syscall.unlink(socketPath) }
                EmulatorRegistry.unregister(pid: pid, dataDirectory: dataDirectory)
                withExtendedLifetime(lock) {}
                Foundation.exit(0)
            }
            source.resume()
            Emulate.signalSources.append(source)
        }
        dispatchMain()
    }

    nonisolated(unsafe) static var signalSources: [any DispatchSourceSignal] = []
}
