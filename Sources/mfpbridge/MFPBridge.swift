import ArgumentParser
import BridgeClient

struct MFPBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mfpbridge",
        abstract: "Back up and restore the settings of multifunction printers, safely.",
        discussion: """
            Talks to a machine over a serial line, a Unix socket or the built-in emulator, checks the \
            device's import/export rules (R1-R13, docs/safety-rules.md) and refuses while the machine \
            is busy or shows an error.

            Device addresses: \(DeviceAddress.help).

            Exit codes:
            \(ExitStatus.allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n"))
            """,
        subcommands: [
            Status.self, Export.self, Import.self, Rollback.self, Inspect.self, Verify.self, BoxBackup.self, BoxRestore.self, Resume.self,
            HistoryList.self, Devices.self, Media.self, Watch.self, Doctor.self, Emulate.self, EmulateCtl.self,
        ]
    )
}
