import MFPKit
import Testing

@Suite struct DeviceErrorCodeTests {
    @Test("Accepts E602-0001 and the newer E000720-0001", arguments: ["E602-0001", "e602-0001", "E000720-0001"])
    func valid(text: String) {
        #expect(DeviceErrorCode(rawValue: text)?.rawValue == text.uppercased())
    }

    @Test(
        "Rejects what is not an error code",
        arguments: ["", "E602", "E60-0001", "E6020-0001", "X602-0001", "E602-001", "E602-00012", "E602_0001", "0D90", "E60A-0001"])
    func invalid(text: String) {
        #expect(DeviceErrorCode(rawValue: text) == nil)
    }
}
