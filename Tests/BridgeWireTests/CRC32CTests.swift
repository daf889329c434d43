import BridgeWire
import Foundation
import Testing

@Suite struct CRC32CTests {
    @Test func standardCheckValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum("123456789".utf8) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E) // RFC 3720 B.4, incrementing
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C) // RFC 3720 B.4, decrementing
        #expect(CRC32C.checksum([UInt8]()) == 0)
        "123456789".utf8.withContiguousStorageIfAvailable { buffer in
            #expect(CRC32C.softwareChecksum(UnsafeRawBufferPointer(buffer)) == 0xE306_9283)
        }
    }

    @Test func nonContiguousSequenceUsesTheSameCRC() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(CRC32C.checksum(bytes.lazy.map { $0 }) == CRC32C.checksum(bytes))
        #expect(CRC32C.checksum(bytes[10..<900]) == CRC32C.checksum(Array(bytes[10..<900])))
    }

    @Test func hardwareAndTableAgreeOnEveryLengthAndAlignment() {
        var rng = TestRandom(seed: 0xC0FFEE)
        let buffer = randomBytes(300 + 16, &rng)
        buffer.withUnsafeBytes { all in
            for start in 0..<8 {
                for length in 0...300 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let software = CRC32C.softwareChecksum(slice)
                    #expect(CRC32C.checksum(slice) == software, "start \(start), length \(length)")
                    #expect(CRC32C.checksum(Array(slice)) == software)
                }
            }
        }
    }

    /// Long inputs take the three-lane path (3 KiB a round), joined by shift tables: every length
    /// around the round size, and a cut anywhere, must still give the table's answer.
    @Test func threeLanePathAgreesWithTheTable() {
        var rng = TestRandom(seed: 0x3CA7)
        let buffer = randomBytes(20_000, &rng)
        buffer.withUnsafeBytes { all in
            for length in [3071, 3072, 3073, 3079, 6143, 6144, 6151, 9216, 12_288 + 5, 20_000 - 8] {
                for start in [0, 3, 8] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.checksum(slice) == CRC32C.softwareChecksum(slice), "start \(start), length \(length)")
                }
            }
            let whole = CRC32C.softwareChecksum(UnsafeRawBufferPointer(rebasing: all[0..<20_000]))
            for cut in [1, 3072, 5000, 16_385] {
                let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[0..<cut]))
                #expect(CRC32C.update(first, UnsafeRawBufferPointer(rebasing: all[cut..<20_000])) == whole, "cut \(cut)")
            }
        }
    }

    @Test func chaining() {
        var rng = TestRandom(seed: 42)
        let data = randomBytes(1000, &rng)
        let whole = CRC32C.checksum(data)
        data.withUnsafeBytes { all in
            for cut in [0, 1, 7, 8, 9, 500, 999, 1000] {
                let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[0..<cut]))
                #expect(CRC32C.update(first, UnsafeRawBufferPointer(rebasing: all[cut...])) == whole, "cut \(cut)")
            }
            #expect(CRC32C.update(0, all) == whole)
        }
    }

    @Test("The CRC32C instruction is used exactly when the processor has it (SSE4.2 in /proc/cpuinfo)")
    func usesTheInstructionWhenPresent() throws {
        #if arch(x86_64)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ").map(String.init) } ?? []
        #expect(CRC32C.hardwareAvailable == flags.contains("sse4_2"))
        #endif
    }
}
