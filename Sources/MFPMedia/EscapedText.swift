/// The escapes the kernel and udev write into names: `\040` (octal, mountinfo paths) and `\x20`
/// (hex, udev's `_ENC` properties). Anything that is not a whole escape stays as it is.
enum EscapedText {
    /// Decodes `marker` followed by `digits` digits of `radix` into the byte they name.
    static func decode(_ text: String, marker: String, digits: Int, radix: Int) -> String {
        guard text.contains(marker) else { return text }
        let utf8 = Array(text.utf8)
        let lead = Array(marker.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < utf8.count {
            let end = index + lead.count + digits
            if end <= utf8.count, Array(utf8[index..<(index + lead.count)]) == lead,
                let value = UInt8(String(decoding: utf8[(index + lead.count)..<end], as: UTF8.self), radix: radix)
            {
                bytes.append(value)
                index = end
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
