import CMFPBridgeShims

/// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR
/// 0xFFFFFFFF. `checksum("123456789".utf8) == 0xE3069283`; the checksum of no bytes is 0.
///
/// Uses the CPU's CRC32C instruction when present (x86-64 SSE4.2, ARMv8 CRC, through
/// CMFPBridgeShims) and a slicing-by-8 table otherwise. Both give identical results.
public enum CRC32C {
    /// True when the running CPU has a CRC32C instruction and `checksum`/`update` use it.
    public static let hardwareAvailable: Bool = mfpb_crc32c_hw_available() != 0

    /// Checksum of any byte sequence; contiguous storage (arrays, slices, `Data`, UTF-8 views of
    /// native strings) is processed in one pass without copying.
    public static func checksum<B: Sequence>(_ bytes: B) -> UInt32 where B.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var running: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in bytes {
                running = t[Int((running ^ UInt32(byte)) & 0xFF)] ^ (running >> 8)
            }
        }
        return ~running
    }

    public static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        update(0, buffer)
    }

    /// Continues a checksum: `update(checksum(a), b) == checksum(a + b)`, and `update(0, b) == checksum(b)`.
    public static func update(_ crc: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return crc }
        if hardwareAvailable {
            return ~mfpb_crc32c_hw_update(~crc, base.assumingMemoryBound(to: UInt8.self), buffer.count)
        }
        return ~softwareUpdateRunning(~crc, buffer)
    }

    /// The table (slicing-by-8) implementation, whatever the CPU. For cross-checks and benchmarks.
    public static func softwareChecksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        ~softwareUpdateRunning(0xFFFF_FFFF, buffer)
    }

    // MARK: - Table implementation

    /// Reflected Castagnoli polynomial.
    static let polynomial: UInt32 = 0x82F6_3B78

    /// Eight tables of 256 entries, flattened: `table[k * 256 + n]` is the CRC contribution of byte
    /// value `n` followed by `k` zero bytes.
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 {
                c = (c & 1) != 0 ? (c >> 1) ^ polynomial : c >> 1
            }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// Running value in, running value out (no inversions).
    static func softwareUpdateRunning(_ running: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = running
        var index = 0
        let count = buffer.count
        table.withUnsafeBufferPointer { t in
            while count - index >= 8 {
                let lo = crc ^ UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                let hi = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                crc =
                    t[7 * 256 + Int(lo & 0xFF)]
                    ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)]
                    ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)]
                    ^ t[Int(hi >> 24)]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt32(buffer[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        return crc
    }
}
