/// An error code as a machine displays it: `E602-0001` (E, 3 digits, 4-digit detail) or the newer
/// `E000720-0001` (E, 6 digits, 4-digit detail).
public struct DeviceErrorCode: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        let text = rawValue.uppercased()
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let head = parts.first, head.first == "E" else { return nil }
        let number = head.dropFirst()
        guard number.count == 3 || number.count == 6, number.allSatisfy(\.isASCIIDigit),
            parts[1].count == 4, parts[1].allSatisfy(\.isASCIIDigit)
        else { return nil }
        self.rawValue = text
    }

    public var description: String { rawValue }

    public static let formatHelp = "an error code looks like E602-0001 or E000720-0001"
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
