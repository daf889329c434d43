import BridgeWire
import Foundation

// What a host asks after it lost the answer to a commit (a frozen machine, a pulled cable): was
// that transfer applied? The answer comes from what was committed with the content itself (the
// settings database's own transaction, the box manifest), so it is true after a crash too.
extension VirtualMFP {
    func transferOutcome(operation: String, transferID: UInt64) throws -> Response {
        switch operation {
        case "import":
            guard let last = try settings.lastAppliedImport(), last.transferID == transferID else {
                return .transferOutcome(applied: false, appliedAt: nil)
            }
            return .transferOutcome(applied: true, appliedAt: last.at)
        case "box-restore":
            // A box restore is named by its content's chain: the box holds it, or it does not.
            guard let imported = try box.importedContent(),
                imported.chain.bytes.prefix(8).reduce(UInt64(0), { $0 << 8 | UInt64($1) }) == transferID
            else {
                return .transferOutcome(applied: false, appliedAt: nil)
            }
            return .transferOutcome(applied: true, appliedAt: imported.appliedAt)
        default:
            throw DeviceFailure(code: .badRequest, message: "transfer-outcome knows import and box-restore, not \(operation)")
        }
    }
}
