/// The bytes of settings on the wire: for each category, in category order,
/// `u16 name length, name (UTF-8), u64 content length, canonical content` (little-endian).
public enum SettingsStream {
    public static func encode(_ snapshot: SettingsSnapshot) -> [UInt8] {
        var out: [UInt8] = []
        for category in snapshot.categories.keys.sorted() {
            let name = Array(category.rawValue.utf8)
            let content = CanonicalContent.encode(snapshot[category])
            append(UInt16(name.count), to: &out)
            out += name
            append(UInt64(content.count), to: &out)
            out += content
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(CanonicalContentError) -> SettingsSnapshot {
        var snapshot = SettingsSnapshot()
        var index = 0
        func take(_ count: Int) throws(CanonicalContentError) -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count - index >= count else {
                throw CanonicalContentError(message: "settings stream ends early at byte \(index)")
            }
            defer { index += count }
            return bytes[index..<(index + count)]
        }
        func integer<T: FixedWidthInteger>(_: T.Type) throws(CanonicalContentError) -> T {
            try take(MemoryLayout<T>.size).reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        while index < bytes.count {
            let nameLength = Int(try integer(UInt16.self))
            let name = String(decoding: try take(nameLength), as: UTF8.self)
            guard let category = SettingCategory(rawValue: name) else {
                throw CanonicalContentError(message: "unknown category '\(name)' in settings stream")
            }
            let length = try integer(UInt64.self)
            guard length <= UInt64(bytes.count) else { throw CanonicalContentError(message: "settings stream part too long") }
            snapshot[category] = try CanonicalContent.decode(Array(try take(Int(length))))
        }
        return snapshot
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out += $0 }
    }
}
