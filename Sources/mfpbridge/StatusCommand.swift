import ArgumentParser
import BridgeClient
import Foundation
import MFPKit
import MFPOperations

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a machine's state and whether an import/export may start now.",
        discussion: """
            Logs in as administrator (R1), then shows model, firmware, display language, sync state, \
            active jobs, error code and power state, and names every blocker of rule R5. \
            Exits 0 when an import/export may start, 4 when something blocks it, 5 on a login failure.
            """)

    @OptionGroup var device: DeviceOptions
    @OptionGroup var login: LoginOptions
    @OptionGroup var output: OutputOptions

    /// The `--json` object (field names are part of the interface: docs/operators-guide.md).
    struct Report: Encodable {
        var address: String
        var model: String
        var series: String
        var firmware: String
        var serialNumber: String
        var language: String
        var power: PowerState
        var errorCode: String?
        var activeJobs: [ActiveJob]
        var sync: SyncStatus
        var securityPolicyPasswordSet: Bool
        var importExportInProgress: Bool
        var canImportExport: Bool
        var blockers: [Blocker]
        var limitations: [Blocker]

        // errorCode is written as null when there is none, as scripts expect the key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(address, forKey: .address)
            try container.encode(model, forKey: .model)
            try container.encode(series, forKey: .series)
            try container.encode(firmware, forKey: .firmware)
            try container.encode(serialNumber, forKey: .serialNumber)
            try container.encode(language, forKey: .language)
            try container.encode(power, forKey: .power)
            try container.encode(errorCode, forKey: .errorCode)
            try container.encode(activeJobs, forKey: .activeJobs)
            try container.encode(sync, forKey: .sync)
            try container.encode(securityPolicyPasswordSet, forKey: .securityPolicyPasswordSet)
            try container.encode(importExportInProgress, forKey: .importExportInProgress)
            try container.encode(canImportExport, forKey: .canImportExport)
            try container.encode(blockers, forKey: .blockers)
            try container.encode(limitations, forKey: .limitations)
        }

        enum CodingKeys: String, CodingKey {
            case address, model, series, firmware, serialNumber, language, power, errorCode, activeJobs, sync
            case securityPolicyPasswordSet, importExportInProgress, canImportExport, blockers, limitations
        }
    }

    func run() throws {
        let logger = output.makeLogger("mfpbridge.status")
        let connection = try DeviceConnection.open(
            device.target(user: login.user, passwordFile: login.passwordFile),
            password: CommandContext.password(option: "--password-file"), logger: logger)
        defer { connection.close() }
        // R5 on the machine's state, wherever it comes from (here the wire protocol).
        let (status, blockers) = try ImportExportPreflight.check(connection.session)
        let report = Report(
            address: device.device, model: status.model, series: status.series,
            firmware: status.firmware, serialNumber: status.serialNumber, language: status.language,
            power: status.power, errorCode: status.errorCode?.rawValue, activeJobs: status.activeJobs,
            sync: status.sync, securityPolicyPasswordSet: status.securityPolicyPasswordSet,
            importExportInProgress: status.importExportInProgress,
            canImportExport: blockers.isEmpty, blockers: blockers,
            limitations: ImportExportPreflight.limitations(for: status))
        if output.json {
            Output.json(report)
        } else {
            printText(report)
        }
        if !blockers.isEmpty {
            throw ExitCode(ExitStatus.refusedByDeviceState.rawValue)
        }
    }

    private func printText(_ report: Report) {
        let jobs =
            report.activeJobs.isEmpty
            ? "none"
            : report.activeJobs.map { "\($0.id) \($0.function.rawValue)" }.joined(separator: ", ")
        var sync = "\(report.sync.role.rawValue), \(report.sync.state.rawValue)"
        if let destination = report.sync.connectionDestination { sync += ", destination \(destination)" }
        Output.line(
            """
            \(report.model) (series \(report.series)) at \(report.address)
              serial number  \(report.serialNumber)
              firmware       \(report.firmware)
              language       \(report.language)
              power          \(report.power.rawValue)
              error code     \(report.errorCode ?? "none")
              active jobs    \(jobs)
              settings sync  \(sync)
              policy pwd     \(report.securityPolicyPasswordSet ? "set" : "not set")
            """)
        for limitation in report.limitations {
            Output.line("  note: \(limitation.rule.rawValue) \(limitation.message)")
        }
        if report.blockers.isEmpty {
            Output.line("Import/export: may start now.")
        } else {
            Output.line("Import/export: refused, \(report.blockers.count) blocker(s):")
            for blocker in report.blockers {
                Output.line("  \(blocker.rule.rawValue) \(blocker.code): \(blocker.message)")
            }
        }
    }
}
