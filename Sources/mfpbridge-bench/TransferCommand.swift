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

/// `transfer`: the stream engine against a raw copy on a socket pair and a pty (docs/performance.md,
/// "Resumable streams").
struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transfer", abstract: "The stream engine against a raw copy.")

    @Option(help: "MiB over the socket pair.", transform: nonNegative) var socketMib: Int = 512
    @Option(help: "MiB over the pty.", transform: nonNegative) var ptyMib: Int = 32
    @Option(help: "Interleaved rounds (the best of each counts).", transform: nonNegative) var rounds: Int = 3
    @Option(help: "Where the run's files go.") var dir = "/tmp"

    func run() {
        let rounds = max(1, rounds)
        let folder = benchFolder(dir)
        defer {
            removePart(folder + "/engine")
            _ = try? Syscall.removeIfPresent(folder + "/raw")
            try? Syscall.rmdir(folder)
        }
        for kind in BenchLink.allCases {
            let mib = kind == .socket ? socketMib : ptyMib
            let source = GeneratedSource(size: UInt64(mib) << 20, seed: 42)
            var configuration = StreamConfiguration.forLink(kind == .socket ? .raw : .cobs)
            // Checkpoints often enough that a run has several: every 1/8 of the payload.
            configuration.checkpointBytes = max(UInt64(1 << 20), source.size / 8)
            var quiet = configuration
            quiet.checkpointBytes = .max
            quiet.checkpointInterval = nil
            // The sender's source as a device or a verified backup holds it: its block chain known
            // (computed here, before any timing), so the sender hashes nothing while it sends.
            let indexed: IndexedSource
            do { indexed = IndexedSource(source, index: try BlockChainIndex.of(source).index) } catch { fail("\(error)") }
            var raw = (wall: Double.infinity, cpu: Double.infinity), engine = raw, unchecked = raw, hashing = raw
            var checkpoints = 0
            func keepBest(_ best: inout (wall: Double, cpu: Double), _ run: (wall: Double, cpu: Double)) {
                best = (min(best.wall, run.wall), min(best.cpu, run.cpu))
            }
            // Interleaved rounds, best of each: the machine's load moves all four alike.
            for _ in 0..<rounds {
                keepBest(&raw, timed { rawRun(kind, source: source, path: folder + "/raw", chunk: configuration.chunkSize) })
                keepBest(
                    &engine,
                    timed {
                        let run = engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration)
                        checkpoints = run.result.checkpoints
                        return run.seconds
                    })
                keepBest(&unchecked, timed { engineRun(kind, source: indexed, path: folder + "/engine", configuration: quiet).seconds })
                keepBest(
                    &hashing, timed { engineRun(kind, source: source, path: folder + "/engine", configuration: configuration).seconds })
            }
            func rate(_ t: (wall: Double, cpu: Double)) -> String {
                format(Double(source.size) / t.wall / 1e6, 1) + " MB/s, " + format(t.cpu / Double(source.size) * 1e9, 2) + " CPU ns/byte"
            }
            print(
                "\(kind.rawValue): \(mib) MiB, chunk \(configuration.chunkSize >> 10) KiB, window \(configuration.window >> 10) KiB, best of \(rounds)"
            )
            print("  raw copy                                  \(rate(raw))")
            print("  engine, \(checkpoints) checkpoints                     \(rate(engine))")
            print("  engine, final checkpoint only             \(rate(unchecked))")
            print("  engine, sender hashes as it sends         \(rate(hashing))")
            print("  throughput ratio engine/raw = \(format(raw.wall / engine.wall))   (goal >= 0.9)")
            print("  throughput ratio engine/raw, hashing sender = \(format(raw.wall / hashing.wall))")
            print("  CPU per byte ratio raw/engine = \(format(raw.cpu / engine.cpu))")
            print("  checkpoint cost checkpointed/unchecked time = \(format(engine.wall / unchecked.wall, 3))   (goal <= 1.03)")
        }
    }
}
