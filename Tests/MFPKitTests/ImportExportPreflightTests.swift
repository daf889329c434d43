import MFPKit
import Testing

@Suite("R5: what blocks an import/export from starting")
struct ImportExportPreflightTests {
    @Test("An idle machine has no blockers")
    func idleMachine() {
        #expect(ImportExportPreflight.blockers(for: idleStatus()).isEmpty)
    }

    // R5: every R4 function except touch-panel/Remote-UI operation (and settings sync, which is
    // per category) blocks the start, each named by its own code.
    @Test("R5: refuses while a job of each blocking function runs", arguments: DeviceFunction.allCases.filter(\.blocksImportExportStart))
    func blockingFunction(function: DeviceFunction) {
        var status = idleStatus()
        status.activeJobs = [job(function, "J7")]
        let blockers = ImportExportPreflight.blockers(for: status)
        #expect(blockers.count == 1)
        #expect(blockers.first?.rule == .r5)
        #expect(blockers.first?.code == "job-running:\(function.rawValue)")
        #expect(blockers.first?.message.contains("J7") == true)
    }

    @Test("R5: the list of blocking functions is the manual's", arguments: DeviceFunction.allCases)
    func blockingList(function: DeviceFunction) {
        let nonBlocking: Set<DeviceFunction> = [.touchPanel, .remoteUI, .settingsSync]
        #expect(function.blocksImportExportStart == !nonBlocking.contains(function))
    }

    @Test("R5: touch-panel and Remote UI operation do not block the start")
    func operatorSessionsDoNotBlock() {
        var status = idleStatus()
        status.activeJobs = [job(.touchPanel, "J1"), job(.remoteUI, "J2")]
        #expect(ImportExportPreflight.blockers(for: status).isEmpty)
    }

    @Test("R5: an error code blocks, and names the code")
    func errorCode() throws {
        var status = idleStatus()
        let code = try #require(DeviceErrorCode(rawValue: "E602-0001"))
        status.errorCode = code
        let blockers = ImportExportPreflight.blockers(for: status)
        #expect(blockers.map(\.code) == ["error-code"])
        #expect(blockers[0].rule == .r5)
        #expect(blockers[0].message.contains("E602-0001"))
    }

    @Test("R5: shutting down blocks; sleep does not")
    func power() {
        var status = idleStatus()
        status.power = .shuttingDown
        #expect(ImportExportPreflight.blockers(for: status).map(\.code) == ["shutting-down"])
        status.power = .sleep
        #expect(ImportExportPreflight.blockers(for: status).isEmpty)
    }

    @Test("R5: every blocker is named when several hold at once")
    func everyBlockerNamed() throws {
        var status = idleStatus()
        status.power = .shuttingDown
        let code = try #require(DeviceErrorCode(rawValue: "E000720-0001"))
        status.errorCode = code
        status.activeJobs = [job(.fax, "J2"), job(.send, "J1"), job(.touchPanel, "J3")]
        let codes = ImportExportPreflight.blockers(for: status).map(\.code)
        #expect(codes == ["shutting-down", "error-code", "job-running:send", "job-running:fax"])
    }

    @Test(
        "R5, R6: active settings sync does not block the start; status notes the limitation",
        arguments: [SyncState.running, .pausing, .paused])
    func settingsSync(state: SyncState) {
        var status = idleStatus()
        status.sync = SyncStatus(role: .client, state: state)
        #expect(ImportExportPreflight.blockers(for: status).isEmpty)
        #expect(ImportExportPreflight.limitations(for: status).map(\.rule) == [.r6])
        status.sync.state = .stopped
        #expect(ImportExportPreflight.limitations(for: status).isEmpty)
    }

    @Test("R12: a running import/export blocks another")
    func importExportInProgress() {
        var status = idleStatus()
        status.importExportInProgress = true
        let blockers = ImportExportPreflight.blockers(for: status)
        #expect(blockers.map(\.rule) == [.r12])
    }
}
