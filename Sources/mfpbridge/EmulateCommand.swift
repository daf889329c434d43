import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Dispatch
import Foundation
import Glibc
import Logging
import MFPEmulator
import MFPUSBDevice

struct Emulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve one virtual multifunction printer on a pty, a Unix socket or a usbredir connection (a USB device for QEMU).",
        discussion: """
            Prints `ready ADDRESS` as the first line of standard output once hosts can connect \
            (for example `ready serial:/dev/pts/7`), then serves until interrupted. The machine's state \
            is kept in --state DIR (crash-safe) and its control channel is DIR/control.sock: drive it \
            with `mfpbridge emulate-ctl --state DIR ...`. A scenario file plays control commands on a \
            timeline (one `SECONDS COMMAND` a line).

            With --usbredir ADDRESS (unix:PATH or tcp:HOST:PORT) the machine is a USB device on \
            the usbredir protocol: QEMU's `-device usb-redir,chardev=...` attaches it to a virtual \
            machine, whose kernel enumerates it with the profile's descriptors, strings and \
            interfaces. It connects to ADDRESS (QEMU's chardev in server mode), or listens there \
            with --usbredir-listen, and comes back to a peer that went away. `emulate-ctl unplug` \
            and `replug` pull and plug the cable; `power-cut` ends the emulator at once.
            """)

    @Option(name: .long, help: "The device profile (a name in firmware-fixtures/profiles).")
    var profile: String

    @Flag(name: .long, help: "Serve on a new pseudo-terminal (a serial line).")
    var pty = false

    @Option(name: .long, help: ArgumentHelp("Serve on a Unix socket at this path.", valueName: "path"))
    var socket: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Be a USB device on a usbredir connection to unix:PATH or tcp:HOST:PORT.", valueName: "address"))
    var usbredir: String?

    @Flag(name: .long, help: "Listen for the usbredir peer at --usbredir's address instead of connecting to it.")
    var usbredirListen = false

    @Flag(
        name: .long,
        help: "Benchmarks only: the printer interface echoes its bulk OUT data (with --usbredir; scripts/hil-rig --bench).")
    var usbEcho = false

    @Option(name: .long, help: ArgumentHelp("The folder that keeps the machine's state.", valueName: "dir"))
    var state: String

    @Option(name: .long, help: ArgumentHelp("Play this scenario file of timed control commands.", valueName: "file"))
    var scenario: String?

    @Option(name: .long, help: ArgumentHelp("Where the device profiles are.", valueName: "dir"))
    var profiles: String?

    @Flag(name: .shortAndLong, help: "Log every request and control command to standard error.")
    var verbose = false

    func validate() throws {
        guard [pty, socket != nil, usbredir != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("choose exactly one of --pty, --socket PATH and --usbredir ADDRESS")
        }
        if (usbredirListen || usbEcho) && usbredir == nil {
            throw ValidationError("--usbredir-listen and --usb-echo need --usbredir ADDRESS")
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

        var usbDevice: USBRedirDevice?
        if let usbredir {
            do {
                let device = try USBRedirDevice(
                    machine: host.device, address: try USBRedirAddress(parsing: usbredir), listens: usbredirListen,
                    echo: usbEcho, logger: logger)
                host.device.attach(device)
                usbDevice = device
            } catch {
                throw BridgeError(.usage, "--usbredir: \(error)")
            }
        }
        let endpoint: EmulatorHost.Endpoint =
            if let usbDevice { .attached(address: "usbredir:\(usbDevice.address)") } else if pty { .pty } else {
                .socket(path: socket!)
            }
        let address = try host.start(on: endpoint, scenario: timeline)
        if let usbDevice { Thread { usbDevice.run() }.start() }
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
