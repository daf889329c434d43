import ArgumentParser
import BridgeSystem
import BridgeTransfer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `memory`: the peak memory of streaming a small and a large payload (it must not grow).
struct MemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "memory", abstract: "Peak memory, small stream against large.")

    @Option(help: "Where the run's files go.") var dir = "/tmp"
    @Option(help: "MiB of the small stream.", transform: nonNegative) var smallMib: Int = 256
    @Option(help: "MiB of the large stream.", transform: nonNegative) var largeMib: Int = 2048

    func run() {
        let folder = benchFolder(dir)
        defer {
            removePart(folder + "/memory")
            try? Syscall.rmdir(folder)
        }
        let small = smallMib
        let large = largeMib
        let before = maxRSSMiB()
        print("max RSS before streaming: \(format(before, 1)) MiB")
        var peaks: [Double] = []
        for mib in [small, large] {
            let source = GeneratedSource(size: UInt64(mib) << 20, seed: 9)
            let run = engineRun(.socket, source: source, path: folder + "/memory", configuration: .forLink(.raw))
            removePart(folder + "/memory")
            peaks.append(maxRSSMiB())
            print(
                "after streaming \(mib) MiB over a socket pair (\(format(Double(source.size) / run.seconds / 1e6, 1)) MB/s): max RSS \(format(peaks.last!, 1)) MiB"
            )
        }
        print("peak memory ratio \(large) MiB / \(small) MiB = \(format(peaks[1] / peaks[0]))   (goal: 1, both under 64 MiB)")
    }
}
