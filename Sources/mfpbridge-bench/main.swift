// mfpbridge-bench: speed ratios measured in one run, and the long frame-decoder fuzz campaign.
// Never part of the tests. Build it in release: swift build -c release --product mfpbridge-bench
//
//   mfpbridge-bench crc [--mib N] [--rounds R]
//   mfpbridge-bench fuzz [--inputs N] [--seed S] [--jobs J]

import BridgeWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: mfpbridge-bench crc [--mib N] [--rounds R]
           mfpbridge-bench fuzz [--inputs N] [--seed S] [--jobs J]
    """

func fail(_ message: String) -> Never {
    var text = message + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// `--name value` options after the subcommand; every option must be known and have a value.
func parseOptions(_ arguments: ArraySlice<String>, known: Set<String>) -> [String: String] {
    var options: [String: String] = [:]
    var rest = arguments
    while let name = rest.popFirst() {
        guard name.hasPrefix("--"), known.contains(String(name.dropFirst(2))) else { fail("unknown option \(name)\n\(usage)") }
        guard let value = rest.popFirst() else { fail("\(name) needs a value\n\(usage)") }
        options[String(name.dropFirst(2))] = value
    }
    return options
}

func integer<T: FixedWidthInteger>(_ options: [String: String], _ name: String, default value: T) -> T {
    guard let text = options[name] else { return value }
    let parsed = text.hasPrefix("0x") ? T(text.dropFirst(2), radix: 16) : T(text)
    guard let parsed, parsed >= 0 else { fail("--\(name) wants a non-negative integer, not \(text)") }
    return parsed
}

func seconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) * 1e-18
}

/// The fastest of `rounds` runs of `body`, in seconds.
func best(of rounds: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var fastest = Double.infinity
    for _ in 0..<rounds {
        fastest = min(fastest, seconds(clock.measure(body)))
    }
    return fastest
}

func format(_ value: Double, _ decimals: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    }
    return text
}

func crcBenchmark(_ options: [String: String]) {
    let mib: Int = integer(options, "mib", default: 64)
    let rounds: Int = max(1, integer(options, "rounds", default: 5))
    let size = mib << 20
    let source = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    let target = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    defer { source.deallocate(); target.deallocate() }
    var rng = FrameFuzzCampaign.SplitMix64(seed: 1)
    for i in stride(from: 0, to: size, by: 8) { source.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self) }
    target.initializeMemory(as: UInt8.self, repeating: 0)
    let bytes = UnsafeRawBufferPointer(source)

    var sink: UInt32 = 0
    let copy = best(of: rounds) { target.copyMemory(from: bytes); sink ^= UInt32(target[size - 1]) }
    let table = best(of: rounds) { sink ^= CRC32C.softwareChecksum(bytes) }
    var hardware: Double?
    if CRC32C.hardwareAvailable {
        hardware = best(of: rounds) { sink ^= CRC32C.checksum(bytes) } // the instruction, through the public API
        precondition(CRC32C.checksum(bytes) == CRC32C.softwareChecksum(bytes), "hardware and table CRC32C disagree")
    }
    func rate(_ t: Double) -> String { format(Double(size) / t / 1e9) + " GB/s" }

    print("CRC32C over \(mib) MiB, best of \(rounds) (check value \(String(CRC32C.softwareChecksum(bytes), radix: 16)), sink \(sink & 1))")
    print("  memcpy    \(rate(copy))")
    if let hardware {
        print("  hardware  \(rate(hardware))  = \(format(copy / hardware)) x memcpy speed")
    } else {
        print("  hardware  not available on this CPU")
    }
    print("  table     \(rate(table))  = \(format(copy / table)) x memcpy speed")
    if let hardware { print("  hardware / table = \(format(table / hardware, 1)) x") }
}

func fuzz(_ options: [String: String]) async {
    let inputs: Int = integer(options, "inputs", default: 1_000_000)
    let seed: UInt64 = integer(options, "seed", default: 1)
    let jobs: Int = max(1, integer(options, "jobs", default: 2))
    let campaign = FrameFuzzCampaign(seed: seed)
    let clock = ContinuousClock()
    let start = clock.now
    let report = await withTaskGroup(of: FrameFuzzCampaign.Report.self) { group in
        for job in 0..<jobs {
            let range = (inputs * job / jobs)..<(inputs * (job + 1) / jobs)
            group.addTask { campaign.run(range) }
        }
        var total = FrameFuzzCampaign.Report()
        for await part in group { total.merge(part) }
        return total
    }
    let elapsed = seconds(clock.now - start)
    print("fuzz seed \(seed), \(jobs) jobs, \(format(elapsed, 1)) s")
    print(report)
    for failure in report.failures { print("  \(failure)") }
    if report.failureCount > 0 { exit(1) }
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "crc":
    crcBenchmark(parseOptions(arguments.dropFirst(), known: ["mib", "rounds"]))
case "fuzz":
    await fuzz(parseOptions(arguments.dropFirst(), known: ["inputs", "seed", "jobs"]))
case "-h", "--help", "help":
    print(usage)
default:
    fail(usage)
}
