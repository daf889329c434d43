import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Dispatch
import Foundation
import Glibc
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
        let host: EmulatorHost
        var timeline: Scenario?
        do {
            let catalog = try ProfileCatalog.locate(explicit: profiles)
            let deviceProfile = try catalog.load(profile)
            if let scenario {
                guard let text = try? String(contentsOfFile: scenario, encoding: .utf8) else {
                    throw BridgeError(.usage, "cannot read the scenario file \(scenario)")
                }
                timeline = try Scenario.parse(text, name: scenario)
            }
            host = try EmulatorHost(
                profile: deviceProfile, profileName: profile, stateDirectory: state,
                dataDirectory: DataDirectory.path(), logger: logger)
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError(.failure, "\(error)")
        }

        let address = try host.start(on: pty ? .pty : .socket(path: socket!), scenario: timeline)
        Output.line("ready \(address)")
        logger.info("emulating \(host.device.profile.model) (\(profile)) at \(address), state in \(state)")

        // Leave cleanly on SIGINT/SIGTERM: unregister, remove the sockets.
        for signalNumber in [SIGINT, SIGTERM] {
            Syscall.ignoreSignal(signalNumber)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler {
                host.stop()
                withExtendedLifetime(host) {}
                Glibc.exit(0)
            }
            source.resume()
            Emulate.signalSources.append(source)
        }
        dispatchMain()
    }

    nonisolated(unsafe) static var signalSources: [any DispatchSourceSignal] = []
}
