import BridgeClient
import Foundation
import MFPKit

/// Runs interrupted operations again from their records, in this process: each continues from its
/// last checkpoint, and only on the machine it reached.
public struct Resumer: Sendable {
    public var context: OperationContext
    /// The bundle password for a record that names a bundle password file, or none: given the
    /// file's path (nil when none was given), returns the password or nil.
    public var bundlePassword: @Sendable (String?) throws -> String?
    /// The operator's yes for an import that was not confirmed when it started.
    public var confirmImport: @Sendable (ImportPlan) throws -> Void

    public init(
        context: OperationContext, bundlePassword: @escaping @Sendable (String?) throws -> String?,
        confirmImport: @escaping @Sendable (ImportPlan) throws -> Void
    ) {
        self.context = context
        self.bundlePassword = bundlePassword
        self.confirmImport = confirmImport
    }

    /// What one record's run came to.
    public enum Outcome: Sendable {
        case exported(ExportOperation.Result)
        case imported(SettingsImport.Outcome)
        case backedUp(BoxOperations.BackupResult)
        case restored(BoxRestoreRun.Result)
    }

    public func resume(_ record: PendingOperation) throws -> Outcome {
        guard var target = record.target, let file = record.files.first else {
            throw BridgeError(
                .failure,
                "the interrupted \(record.operation) \(record.id) was recorded by an earlier mfpbridge without its options: "
                    + "run it again by hand (\(record.arguments.joined(separator: " "))) or drop it with `mfpbridge resume --discard \(record.id)`"
            )
        }
        // A password file that is gone (a pipe such as `<(...)`) is asked for instead.
        if let file = target.passwordFile, !FileManager.default.fileExists(atPath: file) { target.passwordFile = nil }
        let options = record.options ?? PendingOptions()
        switch record.operation {
        case "export":
            let selections =
                try options.all
                ? SettingCategory.allCases.filter { $0 != .boxDocuments }.map { CategorySelection($0) }
                : options.categories.map { name in try CategorySelection.parse(name) }
            return .exported(
                try SettingsExport(
                    target: target, selections: selections, output: file,
                    bundlePassword: try bundlePassword(options.bundlePasswordFile),
                    options: options, arguments: record.arguments
                ).run(context))
        case "import":
            let bundle = try MFPBundleCodec().read(path: file, password: try bundlePassword(options.bundlePasswordFile))
            let selections = options.categories.isEmpty ? nil : try options.categories.map { name in try CategorySelection.parse(name) }
            let run = SettingsImport(
                target: target, bundlePath: file, bundle: bundle, selections: selections, options: options,
                arguments: record.arguments)
            return .imported(try run.run(context) { plan in if !options.confirmed { try confirmImport(plan) } })
        case "box-backup":
            return .backedUp(try BoxBackupRun(target: target, output: file, arguments: record.arguments).run(context))
        case "box-restore":
            let (backup, payload) = try BoxBackupFile.verify(path: file)
            return .restored(
                try BoxRestoreRun(target: target, file: file, backup: backup, payload: payload, arguments: record.arguments)
                    .run(context) { _ in })
        default:
            throw BridgeError(
                .failure,
                "mfpbridge does not know how to continue a \(record.operation); drop it with `mfpbridge resume --discard \(record.id)`")
        }
    }
}
