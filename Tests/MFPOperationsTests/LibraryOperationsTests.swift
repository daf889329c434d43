import BridgeClient
import BridgeTransfer
import Foundation
import MFPKit
import MFPOperations
import Testing

/// The operations driven as a program would: no process spawned, no text parsed, against the
/// built-in emulator (`emulated:`) in this process, in a workspace of the test's own.
@Suite("Operations through the library", .serialized)
struct LibraryOperationsTests {
    static let profiles = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../firmware-fixtures/profiles").standardized.path

    let folder: String
    let context: OperationContext

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-ops-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        context = OperationContext(workspace: Workspace(dataDirectory: folder + "/data"), password: { _ in "7654321" })
    }

    func target(_ profile: String) -> DeviceTarget {
        DeviceTarget(address: "emulated:\(profile)", profiles: Self.profiles)
    }

    @Test("export, then import onto a sibling: a plan to confirm, a snapshot, the history; nothing left pending")
    func exportThenImport() throws {
        let bundle = folder + "/book.mfpb"
        let exported = try SettingsExport(
            target: target("aurora-c5540"), selections: [CategorySelection(.addressBook)],
            output: bundle, bundlePassword: nil
        ).run(context)
        #expect(exported.origin.serialNumber == "AUR5540-000731")
        #expect((exported.counts[.addressBook] ?? 0) > 0)

        let contents = try MFPBundleCodec().read(path: bundle, password: nil)
        var asked = false
        let outcome = try SettingsImport(target: target("aurora-c5560"), bundlePath: bundle, bundle: contents, selections: nil)
            .run(context) { plan in
                asked = true
                #expect(plan.categories.map(\.category) == [.addressBook])
            }
        #expect(asked, "the import did not ask for confirmation (R2)")
        guard case let .applied(plan, snapshot, _) = outcome else {
            Issue.record("not applied: \(outcome)")
            return
        }
        #expect(plan.categories.first?.applied == true)
        #expect(FileManager.default.fileExists(atPath: snapshot))
        #expect(context.workspace.pending.list().isEmpty)
        let history = try History.open(dataDirectory: context.workspace.dataDirectory, purpose: .read).entries(limit: 10)
        #expect(history.map(\.operation).sorted() == ["export", "import"])
    }

    @Test("a refusal in the confirmation changes nothing and leaves nothing pending")
    func refusedConfirmation() throws {
        let bundle = folder + "/book.mfpb"
        _ = try SettingsExport(
            target: target("aurora-c5540"), selections: [CategorySelection(.addressBook)],
            output: bundle, bundlePassword: nil
        ).run(context)
        let contents = try MFPBundleCodec().read(path: bundle, password: nil)
        #expect(throws: BridgeError.self) {
            _ = try SettingsImport(target: target("aurora-c5560"), bundlePath: bundle, bundle: contents, selections: nil)
                .run(context) { _ in throw BridgeError(.failure, "not confirmed") }
        }
        #expect(context.workspace.pending.list().isEmpty)
    }

    @Test("resume runs a remembered operation in-process, and refuses one bound to another machine")
    func resumeThroughTheLibrary() throws {
        let store = context.workspace.pending
        let output = folder + "/later.mfpbox"
        // As an interrupted run leaves it: bound to another machine first.
        var record = try store.begin(
            PendingOperation(
                operation: "box-backup", target: target("aurora-c5540"),
                files: [output], arguments: ["box-backup"]))
        record.machine = MachineIdentity(model: "Aurora C5560i", serialNumber: "AUR5560-001208")
        try store.save(record)
        let resumer = Resumer(context: context, bundlePassword: { _ in nil }, confirmImport: { _ in })
        let refused = #expect(throws: BridgeError.self) { _ = try resumer.resume(record) }
        #expect(refused?.status == .unreachable)
        #expect(refused?.message.contains("AUR5560-001208") == true && refused?.message.contains("AUR5540-000731") == true)
        #expect(store.list().count == 1, "the record of the refused operation was dropped")

        // Bound to the right machine: it runs to the end and its record goes.
        record.machine = MachineIdentity(model: "Aurora C5540i", serialNumber: "AUR5540-000731")
        try store.save(record)
        guard case let .backedUp(result) = try resumer.resume(record) else {
            Issue.record("not a box backup")
            return
        }
        #expect(result.size > 0)
        #expect(FileManager.default.fileExists(atPath: output))
        #expect(store.list().isEmpty)
        if case let .boxBackup(backup) = try FileVerification.verify(path: output, password: nil) {
            #expect(backup.origin.serialNumber == "AUR5540-000731")
        } else {
            Issue.record("the backup does not verify as a box backup")
        }
    }
}
