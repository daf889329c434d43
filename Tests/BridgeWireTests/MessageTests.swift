import BridgeWire
import Foundation
import MFPKit
import Testing

@Suite struct MessageTests {
    @Test("A hello request is the documented bytes")
    func helloBytes() {
        let bytes = Request.hello(minVersion: 1, maxVersion: 1, software: "mfpbridge").encoded()
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"maxVersion":1,"minVersion":1,"op":"hello","software":"mfpbridge"}"#)
    }

    @Test("Every request round-trips", arguments: [
        Request.hello(minVersion: 1, maxVersion: 2, software: "x"), .loginChallenge(user: "Administrator"),
        .login(user: "Administrator", proof: "00ff"), .status,
        .reserve(operation: "export", categories: [.addressBook, .personalSettings]),
        .keepalive(token: "t"), .release(token: "t"),
    ])
    func requests(request: Request) throws {
        #expect(try Request.decode(request.encoded()) == request)
    }

    @Test("Every response round-trips")
    func responses() throws {
        let status = DeviceStatus(model: "M", series: "S", firmware: "1", serialNumber: "N", language: "en-US",
                                  power: .sleep, errorCode: DeviceErrorCode(rawValue: "E602-0001"),
                                  activeJobs: [ActiveJob(id: "J1", function: .fax, startedAt: Date(timeIntervalSince1970: 1_700_000_000))],
                                  sync: SyncStatus(role: .server, state: .paused, exportPreparedAt: Date(timeIntervalSince1970: 1_700_000_100), connectionDestination: "localhost:8443"),
                                  securityPolicyPasswordSet: true, importExportInProgress: true)
        let responses: [Response] = [
            .hello(version: 1, model: "M", serialNumber: "N", firmware: "1"), .challenge(salt: "00", nonce: "11"),
            .loggedIn(user: "Administrator", role: "Administrator"), .status(status),
            .reserved(token: "t", expiresInSeconds: 30), .ok,
            .failure(DeviceFailure(code: .refused, message: "no", rule: .r5,
                                   blockers: [Blocker(rule: .r5, code: "error-code", message: "E602-0001")])),
        ]
        for response in responses {
            #expect(try Response.decode(response.encoded()) == response)
        }
    }

    @Test("Malformed and unknown messages are errors, not crashes", arguments: [
        "", "{", "[]", #"{"op":"teleport"}"#, #"{"op":"login","user":"a"}"#, #"{"op":7}"#, "\u{0}\u{1}",
    ])
    func malformed(text: String) {
        #expect(throws: MessageDecodingError.self) { try Request.decode(Array(text.utf8)) }
        #expect(throws: MessageDecodingError.self) { try Response.decode(Array(text.utf8)) }
    }
}
