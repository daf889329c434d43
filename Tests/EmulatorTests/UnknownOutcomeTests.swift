import BridgeClient
import BridgeTransfer
import Foundation
import MFPBundle
import MFPEmulator
import MFPKit
import Testing

/// A machine that applies and then stops answering (frozen): the bridge says the outcome is not
/// known (exit 8), and asking the machine afterwards tells the truth without sending again.
@Suite("Unknown outcomes", .serialized)
struct UnknownOutcomeTests {
    @Test("R3: a box restore whose machine froze after applying is reported unknown, then found applied; nothing is sent twice")
    func frozenBoxCommit() throws {
        let fixture = try EmulatorFixture(profile: "aurora-c5560")
        let session = try fixture.loggedIn()
        session.commitPatience = .milliseconds(200)
        let payload = BytesSource((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let chain = try BlockChainIndex.of(payload).chain
        let sealed = BoxBackupTrailer(
            origin: BoxRestoreRulesTests.aurora5540, createdAt: Date(), documents: 0, payloadSize: payload.size,
            payloadChain: chain.bytes.map { String(format: "%02x", $0) }.joined()
        ).sealed()
        let journal = try temporaryDirectory() + "/restore.journal"
        _ = try fixture.device.apply(.freezeAfter(op: "box-import-commit"))
        let error = #expect(throws: BridgeError.self, "a restore whose commit got no answer reported success") {
            _ = try BoxOperations.restore(session: session, payload: payload, chain: chain, sealedTrailer: sealed, journalPath: journal)
        }
        #expect(error?.status == .interrupted)
        #expect(error?.message.contains("NOT known") == true, "\(String(describing: error))")
        // The machine did apply it.
        #expect(try fixture.device.box.contentChain() == chain)
        _ = try fixture.device.apply(.thaw)
        let again = try BoxOperations.restore(session: session, payload: payload, chain: chain, sealedTrailer: sealed, journalPath: journal)
        guard case .alreadyApplied(let at) = again else {
            Issue.record("the rerun sent the documents again: \(again)")
            return
        }
        #expect(at != nil)
    }

    @Test("R3: a settings import whose machine froze after applying is unknown, then transfer-outcome says applied")
    func frozenImportCommit() throws {
        let source = try EmulatorFixture(profile: "aurora-c5540")
        let exported = try source.loggedIn().exportSettings(
            token: try source.session.reserve("export", categories: [.addressBook]),
            selections: [CategorySelection(.addressBook)], pendingFolder: try temporaryDirectory())
        let fixture = try EmulatorFixture(profile: "aurora-c5560")
        let session = try fixture.loggedIn()
        session.commitPatience = .milliseconds(200)
        let importing = try ImportOperation(
            session: session, bundle: (exported.origin, exported.snapshot),
            selections: [CategorySelection(.addressBook)], pendingFolder: try temporaryDirectory())
        _ = try importing.prepare()
        _ = try fixture.device.apply(.freezeAfter(op: "import-commit"))
        let asked = AskedTransfer()
        let error = #expect(throws: BridgeError.self, "an import whose commit got no answer reported success") {
            _ = try importing.apply(beforeCommit: { id throws(BridgeError) in asked.id = id })
        }
        #expect(error?.status == .interrupted)
        #expect(error?.message.contains("NOT known") == true, "\(String(describing: error))")
        let transferID = try #require(asked.id)
        _ = try fixture.device.apply(.thaw)
        importing.finish()
        let outcome = try session.transferOutcome(operation: "import", transferID: transferID)
        #expect(outcome.applied)
        #expect(try session.transferOutcome(operation: "import", transferID: transferID &+ 1).applied == false)
        // The address book is the source's now.
        #expect(try fixture.device.settings.digests()[.addressBook] == (try source.device.settings.digests()[.addressBook]))
    }
}

/// Where the test keeps the transfer id the import asked about (a class: captured by reference).
private final class AskedTransfer: @unchecked Sendable {
    var id: UInt64?
}
