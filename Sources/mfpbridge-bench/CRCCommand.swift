import ArgumentParser
import BridgeTransfer
import BridgeWire
import MFPTestTools

/// `crc`: CRC32C (hardware and table) and the SHA-256 stream chain against memcpy.
struct CRCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crc", abstract: "CRC32C and the stream chain against memcpy.")

    @Option(help: "MiB to checksum.", transform: nonNegative) var mib: Int = 64
    @Option(help: "Rounds (the best counts).", transform: nonNegative) var rounds: Int = 5

    func run() {
        let rounds = max(1, rounds)
        let size = mib << 20
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        let target = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { source.deallocate(); target.deallocate() }
        var rng = SplitMix64(seed: 1)
        for i in stride(from: 0, to: size, by: 8) { source.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self) }
        target.initializeMemory(as: UInt8.self, repeating: 0)
        let bytes = UnsafeRawBufferPointer(source)

        var sink: UInt32 = 0
        let copy = best(of: rounds) {
            target.copyMemory(from: bytes); sink ^= UInt32(target[size - 1])
        }
        let table = best(of: rounds) { sink ^= CRC32C.softwareChecksum(bytes) }
        var hardware: Double?
        if CRC32C.hardwareAvailable {
            hardware = best(of: rounds) { sink ^= CRC32C.checksum(bytes) } // the instruction, through the public API
            precondition(CRC32C.checksum(bytes) == CRC32C.softwareChecksum(bytes), "hardware and table CRC32C disagree")
        }
        func rate(_ t: Double) -> String { format(Double(size) / t / 1e9) + " GB/s" }

        print(
            "CRC32C over \(mib) MiB, best of \(rounds) (check value \(String(CRC32C.softwareChecksum(bytes), radix: 16)), sink \(sink & 1))"
        )
        print("  memcpy    \(rate(copy))")
        if let hardware {
            print("  hardware  \(rate(hardware))  = \(format(copy / hardware)) x memcpy speed")
        } else {
            print("  hardware  not available on this CPU")
        }
        print("  table     \(rate(table))  = \(format(copy / table)) x memcpy speed")
        if let hardware { print("  hardware / table = \(format(table / hardware, 1)) x") }
        // The stream chain (SHA-256 over 1 MiB blocks) is what every transferred byte costs twice.
        let chain = best(of: rounds) {
            var hasher = StreamChain()
            hasher.absorb(bytes)
            sink ^= UInt32(hasher.digest.bytes[0])
        }
        print("  SHA-256 stream chain  \(rate(chain))  = \(format(copy / chain)) x memcpy speed")
    }
}
