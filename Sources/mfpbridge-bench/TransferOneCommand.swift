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

/// `transfer-one`: one engine or raw run at a time, for profiling (perf, strace): `--mode raw|engine|unchecked|hashing`.
struct TransferOneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer-one", abstract: "One engine or raw run at a time, for profiling.")

    enum Mode: String, CaseIterable, ExpressibleByArgument {
        case raw, engine, unchecked, hashing, file, journal
    }

    @Option(help: "The link.") var link: BenchLink = .socket
    @Option(help: "What runs.") var mode: Mode = .engine
    @Option(help: "MiB to send.", transform: nonNegative) var mib: Int = 256
    @Option(name: .customLong("repeat"), help: "Runs in a row.", transform: nonNegative) var repetitions: Int = 1
    @Option(help: "Where the run's files go.") var dir = "/tmp"

    func run() {
        let kind = link
        let source = GeneratedSource(size: UInt64(mib) << 20, seed: 42)
        let folder = benchFolder(dir)
        defer {
            removePart(folder + "/engine")
            for file in ["/raw", "/source", "/journal"] { _ = try? Syscall.removeIfPresent(folder + file) }
            try? Syscall.rmdir(folder)
        }
        var configuration = StreamConfiguration.forLink(kind == .socket ? .raw : .cobs)
        configuration.checkpointBytes = max(UInt64(1 << 20), source.size / 8)
        let indexed: IndexedSource
        do { indexed = IndexedSource(source, index: try BlockChainIndex.of(source).index) } catch { fail("\(error)") }
        for _ in 0..<repetitions {
            let run: (wall: Double, cpu: Double)
            switch mode {
            case .raw: run = timed { rawRun(kind, source: source, path: folder + "/raw", chunk: configuration.chunkSize) }
            case .hashing: run = timed { engineRun(kind, source: source, path: folder + "/engine", configuration: configuration).seconds }
            case .unchecked:
                configuration.checkpointBytes = .max
                configuration.checkpointInterval = nil
                run = timed { engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration).seconds }
            case .file:
                // The sender reads a file (as box-restore does), its block index known.
                let path = folder + "/source"
                if !Syscall.exists(path) {
                    guard let fd = try? Syscall.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600) else {
                        fail("cannot create \(path)")
                    }
                    var buffer = [UInt8](repeating: 0, count: 1 << 20)
                    var at: UInt64 = 0
                    while at < source.size {
                        buffer.withUnsafeMutableBytes { try? source.read(at: at, into: $0) }
                        _ = try? Syscall.pwriteAll(fd, buffer, at: at)
                        at += UInt64(buffer.count)
                    }
                    _ = try? Syscall.fsync(fd)
                    Syscall.close(fd)
                }
                let file: FileSource
                do { file = try FileSource(path: path) } catch { fail("\(error)") }
                let fromFile = IndexedSource(file, index: indexed.chainIndex!)
                run = timed { engineRun(kind, source: fromFile, path: folder + "/engine", configuration: configuration).seconds }
            case .journal:
                // The sender journals each acknowledged checkpoint (fsynced), as the commands do.
                _ = try? Syscall.removeIfPresent(folder + "/journal")
                let journal: TransferJournal
                do { journal = try TransferJournal.open(path: folder + "/journal") } catch { fail("\(error)") }
                run = timed {
                    engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration, journal: journal).seconds
                }
                journal.close()
            case .engine: run = timed { engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration).seconds }
            }
            print(format(Double(source.size) / run.wall / 1e6, 1), "MB/s", format(run.cpu / Double(source.size) * 1e9, 2), "CPU ns/byte")
        }
    }
}
