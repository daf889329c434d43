import MFPKit
import Testing

/// The R5 preflight reads a machine's state through `DeviceStateSource`, whatever answers (the
/// wire protocol, a printer's IPP attributes). Here the source is a plain value: the seam itself
/// is what is tested, in the pure layer.
@Suite("R5 through a state source")
struct DeviceStateSourceTests {
    struct FixedState: DeviceStateSource {
        var status: DeviceStatus
        func currentStatus() throws -> DeviceStatus { status }
    }

    struct Unreachable: DeviceStateSource {
        struct Gone: Error {}
        func currentStatus() throws -> DeviceStatus { throw Gone() }
    }

    @Test("R5: a source whose machine runs a fax job is blocked, naming the job; an idle one is not")
    func blocksOnTheSourcesState() throws {
        var busy = idleStatus()
        busy.activeJobs = [job(.fax, "J7")]
        let blocked = try ImportExportPreflight.check(FixedState(status: busy))
        #expect(blocked.blockers.map(\.code) == ["job-running:fax"])
        #expect(blocked.blockers.first?.message.contains("J7") == true)
        #expect(try ImportExportPreflight.check(FixedState(status: idleStatus())).blockers.isEmpty)
    }

    @Test("A source that cannot say its state is an error, never an idle machine")
    func unknownStateIsNotIdle() {
        #expect(throws: Unreachable.Gone.self) { _ = try ImportExportPreflight.check(Unreachable()) }
    }
}
