import Glibc // memchr and memcpy: C library functions, no system call

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
        encode(input, delimited: false)
    }

    /// The encoding; with `delimited`, between two zero bytes (a serial frame) in the same array.
    ///
    /// Runs of non-zero bytes are found with `memchr` and moved with `memcpy`: a serial line's
    /// frames pass through here byte for byte, so this is worth more than a byte loop's brevity.
    static func encode(_ input: UnsafeRawBufferPointer, delimited: Bool) -> [UInt8] {
        let count = input.count
        let lead = delimited ? 1 : 0
        return [UInt8](unsafeUninitializedCapacity: maxEncodedCount(count) + 2 * lead) { out, written in
            let base = out.baseAddress!
            if delimited { base[0] = 0 }
            var o = lead
            var i = 0
            while true {
                let n = Swift.min(254, count - i)
                let run =
                    input.baseAddress.map { start -> Int in
                        guard let zero = memchr(start + i, 0, n) else { return n }
                        return UnsafeRawPointer(zero) - (start + i)
                    } ?? 0
                base[o] = UInt8(run + 1)
                if run > 0 { memcpy(base + o + 1, input.baseAddress! + i, run) }
                o += run + 1
                i += run
                if run < n {
                    i += 1 // the zero this block stands for; a block always follows it
                    continue
                }
                if n == 254 {
                    // A full block (code 0xFF) stands for no zero. Canonical form: no empty block
                    // after it at the end.
                    if i == count { break }
                    continue
                }
                break // the last, short block
            }
            if delimited {
                base[o] = 0
                o += 1
            }
            written = o
        }
    }

    static func decode(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        let count = input.count
        guard count > 0, let source = input.baseAddress else { return nil }
        var ok = true
        let result = [UInt8](unsafeUninitializedCapacity: count) { out, written in
            let base = out.baseAddress!
            var i = 0
            var o = 0
            while i < count {
                let code = Int(source.load(fromByteOffset: i, as: UInt8.self))
                guard code != 0, i + code <= count else { ok = false; break }
                i += 1
                let run = code - 1
                guard memchr(source + i, 0, run) == nil else { ok = false; break }
                memcpy(base + o, source + i, run)
                o += run
                i += run
                if code != 0xFF && i < count {
                    base[o] = 0
                    o += 1
                }
            }
            written = o
        }
        return ok ? result : nil
    }
}
