import ArgumentParser
import BridgeClient
import BridgeTransfer
import Foundation
import Logging
import MFPEmulator

struct EmulateCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate-ctl",
        abstract: "Drive an emulated machine: jobs, error codes, sleep, shutdown, sync state.",
        discussion: """
            Talks to the emulator's control channel (STATE/control.sock); when no emulator is running on \
            that state folder, the command is applied to the saved state directly, so the next emulator \
            (or the built-in emulated:PROFILE) starts with it. Prints a job id for `job start`.

            Commands:
            \(ControlCommand.usage)
            """)

    @Option(name: .long, help: ArgumentHelp("The emulator's state folder.", valueName: "dir"))
    var state: String

    @Option(name: .long, help: ArgumentHelp("Where the device profiles are.", valueName: "dir"))
    var profiles: String?

    @Argument(parsing: .captureForPassthrough, help: "The command, e.g. `job start fax`.")
    var words: [String] = []

    func run() throws {
        var secret: String?
        if words == ["admin-password"] || words == ["policy-password", "set"] {
            secret = readLine(strippingNewline: true)
        }
        // Checked here first so that a typo is a usage error, whoever applies the command.
        let command: ControlCommand
        do {
            command = try ControlCommand.parse(words, secret: secret)
        } catch {
            throw BridgeError(.usage, error.description)
        }
        do {
            if let reply = try ControlChannel.send(words: words, secret: secret, stateDirectory: state) {
                Output.line(try reply.get())
                return
            }
            Output.line(try applyOffline(command))
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError(.refusedByDeviceState, "\(error)")
        }
    }

    /// No emulator runs on this folder: change the saved state under its lock.
    private func applyOffline(_ command: ControlCommand) throws -> String {
        guard let profileName = try VirtualMFP.savedProfileName(stateDirectory: state) else {
            throw BridgeError(.unreachable, "no emulator state in \(state): start one with `mfpbridge emulate --state \(state) ...`")
        }
        guard let lock = try DirectoryLock.tryLock(directory: state) else {
            throw BridgeError(.unreachable, "an emulator holds \(state) but its control channel does not answer; is it hung?")
        }
        defer { withExtendedLifetime(lock) {} }
        let catalog = try ProfileCatalog.locate(explicit: profiles)
        let device = try VirtualMFP(
            profile: try catalog.load(profileName), stateDirectory: state,
            logger: Logger(label: "mfpbridge.emulate-ctl"))
        return try device.apply(command)
    }
}
