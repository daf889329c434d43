import ArgumentParser
import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit
import MFPOperations

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore the settings the last import overwrote on a machine.",
        discussion:
            "Uses the newest automatic snapshot of this machine (by serial number) from the history, or --snapshot FILE; it is imported like any bundle, with the same checks and report."
    )

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: AdminLoginOptions

    @Option(name: .long, help: ArgumentHelp("A snapshot file to restore instead of the newest one.", valueName: "file"))
    var snapshot: String?

    @Flag(name: .long, help: "Report what would change, change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var yes = false

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = device.target(user: login.user, passwordFile: login.adminPasswordFile)
        let path: String
        if let snapshot {
            path = snapshot
        } else {
            // The serial number comes from the device itself, so a snapshot never lands on another machine.
            let context = CommandContext.make(outputOptions, label: "rollback")
            let connection = try DeviceConnection.open(
                target, password: context.password, workspace: context.workspace, logger: context.logger)
            let serial = connection.session.device?.serialNumber ?? ""
            connection.close()
            guard
                let entry = try History.open(dataDirectory: context.workspace.dataDirectory, purpose: .read).lastSnapshot(
                    deviceSerial: serial),
                let found = entry.snapshotPath
            else {
                throw BridgeError(.failure, "no snapshot of machine \(serial) in the history; nothing to roll back")
            }
            path = found
        }
        let bundle = try MFPBundleCodec().read(path: path, password: nil)
        // Not remembered for `resume`: a rollback is run again by hand.
        let run = SettingsImport(
            operation: "rollback", target: target, bundlePath: path, bundle: bundle, selections: nil,
            dryRun: dryRun, options: nil)
        try ImportRendering(output: outputOptions, yes: yes).run(run)
    }
}
