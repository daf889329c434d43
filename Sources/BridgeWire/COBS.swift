/// Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): removes every zero byte from a
/// message for at most one byte of overhead per 254, so that a zero can delimit messages.
///
/// The encoding is canonical: a final block of 254 non-zero bytes is not followed by an empty
/// `01` block. `decode` accepts that extra block too, as other encoders emit it.
public enum COBS {
    /// Encodes `bytes`; the result contains no zero byte and carries no trailing delimiter.
    public static func encode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let result = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// Decodes one COBS block sequence (without its delimiter). Returns nil when the input is
    /// empty, contains a zero byte, or a code byte points past the end.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        if let result = bytes.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { decode($0) }
    }

    /// The longest encoding of `count` bytes: one code byte per started block of 254 bytes, plus
    /// one (a zero ends a block without being stored, so blocks can start every 254 bytes at most).
    public static func maxEncodedCount(_ count: Int) -> Int {
        count + count / 254 + 1
    }

    static func encode(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let count = input.count
        return [UInt8](unsafeUninitializedCapacity: maxEncodedCount(count)) { out, written in
            var codeIndex = 0       // where the current block's code byte goes
            var o = 1               // next output position
            var code: UInt8 = 1     // 1 + number of data bytes in the current block
            var i = 0
            while i < count {
                let byte = input[i]
                i += 1
                if byte == 0 {
                    out[codeIndex] = code
                    codeIndex = o
                    o += 1
                    code = 1
                } else {
                    out[o] = byte
                    o += 1
                    code += 1
                    if code == 0xFF {
                        out[codeIndex] = code
                        code = 1
                        if i == count {
                            // Canonical form: no empty block after a full one at the end.
                            written = o
                            return
                        }
                        codeIndex = o
                        o += 1
                    }
                }
            }
            out[codeIndex] = code
            written = o
        }
    }

    static func decode(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        let count = input.count
        guard count > 0 else { return nil }
        var ok = true
        let result = [UInt8](unsafeUninitializedCapacity: count) { out, written in
            var i = 0
            var o = 0
            while i < count {
                let code = Int(input[i])
                guard code != 0, i + code <= count else { ok = false; break }
                i += 1
                let end = i + code - 1
                while i < end {
                    let byte = input[i]
                    guard byte != 0 else { ok = false; break }
                    out[o] = byte
                    o += 1
                    i += 1
                }
                guard ok else { break }
                if code != 0xFF && i < count {
                    out[o] = 0
                    o += 1
                }
            }
            written = o
        }
        return ok ? result : nil
    }
}
