// mfpbridge-bench: speed ratios measured in one run, and the long frame-decoder fuzz campaign.
// Never part of the tests. Build it in release: swift build -c release --product mfpbridge-bench
//
//   mfpbridge-bench crc [--mib N] [--rounds R]
//   mfpbridge-bench fuzz [--inputs N] [--seed S] [--jobs J]
//   mfpbridge-bench transfer [--socket-mib N] [--pty-mib N] [--rounds R] [--dir PATH]
//   mfpbridge-bench transfer-one [--link socket|pty] [--mode raw|engine|unchecked|hashing|file|journal] [--mib N] [--repeat N]
//   mfpbridge-bench resume [--dir PATH]
//   mfpbridge-bench memory [--dir PATH] [--small-mib N] [--large-mib N]
//   mfpbridge-bench raw-device --link socket:PATH|pty --role send|receive --bytes N [--file PATH]
//   mfpbridge-bench raw-host --device unix:PATH|serial:PATH --role send|receive --bytes N [--file PATH]
//     (the two ends of scripts/bench-commands' raw copy: RawCopy.swift)

import BridgeLink
import BridgeTransfer
import BridgeWire
import MFPTestTools
import Foundation

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
           mfpbridge-bench transfer [--socket-mib N] [--pty-mib N] [--rounds R] [--dir PATH]
           mfpbridge-bench transfer-one [--link socket|pty] [--mode raw|engine|unchecked|hashing|file|journal] [--mib N] [--repeat N]
           mfpbridge-bench resume [--dir PATH]
           mfpbridge-bench memory [--dir PATH] [--small-mib N] [--large-mib N]
           mfpbridge-bench raw-device --link socket:PATH|pty --role send|receive --bytes N [--file PATH]
           mfpbridge-bench raw-host --device unix:PATH|serial:PATH --role send|receive --bytes N [--file PATH]
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
    var rng = SplitMix64(seed: 1)
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
    // The stream chain (SHA-256 over 1 MiB blocks) is what every transferred byte costs twice.
    let chain = best(of: rounds) {
        var hasher = StreamChain()
        hasher.absorb(bytes)
        sink ^= UInt32(hasher.digest.bytes[0])
    }
    print("  SHA-256 stream chain  \(rate(chain))  = \(format(copy / chain)) x memcpy speed")
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

// MARK: - Resumable streams (docs/performance.md, "Resumable streams")

/// Runs `body` on a thread of its own; `join()` waits for its result.
final class Background<T: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is written once before `done` is signalled and read only after.
    private let done = DispatchSemaphore(value: 0)
    private var value: T?
    init(_ body: @escaping @Sendable () -> T) {
        Thread { [self] in
            value = body()
            done.signal()
        }.start()
    }
    func join() -> T {
        done.wait()
        return value!
    }
}

enum BenchLink: String, CaseIterable {
    case socket, pty

    func open() -> (host: any Link, device: any Link) {
        do {
            switch self {
            case .socket:
                let (a, b) = try SocketLink.pair()
                return (a, b)
            case .pty:
                let device = try PseudoTerminal.open()
                let host = try SerialLink.open(path: device.slavePath)
                return (host, device)
            }
        } catch {
            fail("cannot open a \(rawValue) link: \(error)")
        }
    }
}

func benchFolder(_ options: [String: String]) -> String {
    let base = options["dir"] ?? "/tmp"
    let path = base + "/mfpb-bench-\(getpid())"
    do { try DurableFile.makeDirectory(path) } catch { fail("\(error)") }
    return path
}

func removePart(_ path: String) {
    unlink(path)
    unlink(path + ".part")
    unlink(path + ".part.ckpt")
}

/// The engine: sender on this thread, receiver into a part file on another. Seconds.
func engineRun(_ kind: BenchLink, source: any StreamSource, path: String, configuration: StreamConfiguration,
               journal: TransferJournal? = nil) -> (seconds: Double, result: StreamResult) {
    removePart(path)
    let (host, device) = kind.open()
    defer { host.close(); device.close() }
    let part: PartFile
    do { part = try PartFile.open(path: path) } catch { fail("\(error)") }
    defer { part.close() }
    let clock = ContinuousClock()
    let start = clock.now
    let receiver = StreamReceiver(channel: FrameChannel(link: device), streamID: 1, sink: part, configuration: configuration)
    let receiving = Background { Result { () throws(StreamError) in try receiver.run() } }
    let sender = StreamSender(channel: FrameChannel(link: host), streamID: 1, transferID: 1, source: source,
                              journal: journal, configuration: configuration)
    do {
        _ = try sender.run()
        let result = try receiving.join().get()
        return (seconds(clock.now - start), result)
    } catch {
        fail("engine transfer over \(kind.rawValue) failed: \(error)")
    }
}

/// The same bytes over the same kind of link without the engine: generate, send raw; receive,
/// pwrite into a file, fsync once at the end. Seconds.
func rawRun(_ kind: BenchLink, source: GeneratedSource, path: String, chunk: Int) -> Double {
    unlink(path)
    let (host, device) = kind.open()
    defer { host.close(); device.close() }
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { fail("cannot create \(path)") }
    defer { close(fd) }
    let size = source.size
    let clock = ContinuousClock()
    let start = clock.now
    let receiving = Background { () -> Bool in
        var at: UInt64 = 0
        while at < size {
            // Reads as large as the engine's (FrameChannel): 1 MiB on a socket, 64 KiB on a pty.
            guard let bytes = try? device.receive(maxBytes: kind == .socket ? 1 << 20 : 64 << 10, timeout: .seconds(10)),
                  !bytes.isEmpty else { return false }
            bytes.withUnsafeBytes { b in _ = pwrite(fd, b.baseAddress, b.count, off_t(at)) }
            at += UInt64(bytes.count)
        }
        return fsync(fd) == 0
    }
    var buffer = [UInt8](repeating: 0, count: chunk)
    var at: UInt64 = 0
    while at < size {
        let count = Int(min(UInt64(chunk), size - at))
        if buffer.count != count { buffer = [UInt8](repeating: 0, count: count) }
        buffer.withUnsafeMutableBytes { try? source.read(at: at, into: $0) }
        do { try host.send(buffer) } catch { fail("raw copy over \(kind.rawValue) failed: \(error)") }
        at += UInt64(count)
    }
    guard receiving.join() else { fail("raw copy over \(kind.rawValue): receiver failed") }
    return seconds(clock.now - start)
}

func transferBenchmark(_ options: [String: String]) {
    let rounds: Int = max(1, integer(options, "rounds", default: 3))
    let folder = benchFolder(options)
    defer { removePart(folder + "/engine"); unlink(folder + "/raw"); rmdir(folder) }
    for kind in BenchLink.allCases {
        let mib: Int = kind == .socket ? integer(options, "socket-mib", default: 512) : integer(options, "pty-mib", default: 32)
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
            keepBest(&engine, timed {
                let run = engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration)
                checkpoints = run.result.checkpoints
                return run.seconds
            })
            keepBest(&unchecked, timed { engineRun(kind, source: indexed, path: folder + "/engine", configuration: quiet).seconds })
            keepBest(&hashing, timed { engineRun(kind, source: source, path: folder + "/engine", configuration: configuration).seconds })
        }
        func rate(_ t: (wall: Double, cpu: Double)) -> String {
            format(Double(source.size) / t.wall / 1e6, 1) + " MB/s, " + format(t.cpu / Double(source.size) * 1e9, 2) + " CPU ns/byte"
        }
        print("\(kind.rawValue): \(mib) MiB, chunk \(configuration.chunkSize >> 10) KiB, window \(configuration.window >> 10) KiB, best of \(rounds)")
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

/// One engine or raw run at a time, for profiling (perf, strace): `--mode raw|engine|unchecked|hashing`.
func transferOne(_ options: [String: String]) {
    let kind = BenchLink(rawValue: options["link"] ?? "socket") ?? .socket
    let source = GeneratedSource(size: UInt64(integer(options, "mib", default: 256) as Int) << 20, seed: 42)
    let folder = benchFolder(options)
    defer { removePart(folder + "/engine"); unlink(folder + "/raw"); unlink(folder + "/source"); unlink(folder + "/journal"); rmdir(folder) }
    var configuration = StreamConfiguration.forLink(kind == .socket ? .raw : .cobs)
    configuration.checkpointBytes = max(UInt64(1 << 20), source.size / 8)
    let indexed: IndexedSource
    do { indexed = IndexedSource(source, index: try BlockChainIndex.of(source).index) } catch { fail("\(error)") }
    for _ in 0..<(integer(options, "repeat", default: 1) as Int) {
        let run: (wall: Double, cpu: Double)
        switch options["mode"] ?? "engine" {
        case "raw": run = timed { rawRun(kind, source: source, path: folder + "/raw", chunk: configuration.chunkSize) }
        case "hashing": run = timed { engineRun(kind, source: source, path: folder + "/engine", configuration: configuration).seconds }
        case "unchecked":
            configuration.checkpointBytes = .max
            configuration.checkpointInterval = nil
            run = timed { engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration).seconds }
        case "file":
            // The sender reads a file (as box-restore does), its block index known.
            let path = folder + "/source"
            if access(path, F_OK) != 0 {
                let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                var at: UInt64 = 0
                while at < source.size {
                    buffer.withUnsafeMutableBytes { try? source.read(at: at, into: $0) }
                    _ = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(at)) }
                    at += UInt64(buffer.count)
                }
                fsync(fd)
                close(fd)
            }
            let file: FileSource
            do { file = try FileSource(path: path) } catch { fail("\(error)") }
            let fromFile = IndexedSource(file, index: indexed.chainIndex!)
            run = timed { engineRun(kind, source: fromFile, path: folder + "/engine", configuration: configuration).seconds }
        case "journal":
            // The sender journals each acknowledged checkpoint (fsynced), as the commands do.
            unlink(folder + "/journal")
            let journal: TransferJournal
            do { journal = try TransferJournal.open(path: folder + "/journal") } catch { fail("\(error)") }
            run = timed { engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration, journal: journal).seconds }
            journal.close()
        default: run = timed { engineRun(kind, source: indexed, path: folder + "/engine", configuration: configuration).seconds }
        }
        print(format(Double(source.size) / run.wall / 1e6, 1), "MB/s", format(run.cpu / Double(source.size) * 1e9, 2), "CPU ns/byte")
    }
}

/// A sink that notes when the first byte after the handshake lands.
final class FirstWriteSink: DurableSink, @unchecked Sendable {
    // @unchecked: `firstWrite` is written once by the receiving thread before the link closes,
    // read after the receiver finished.
    let part: PartFile
    var firstWrite: ContinuousClock.Instant?
    let onFirst: @Sendable () -> Void
    init(part: PartFile, onFirst: @escaping @Sendable () -> Void) {
        self.part = part
        self.onFirst = onFirst
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FileSystemError) {
        if firstWrite == nil {
            firstWrite = .now
            onFirst()
        }
        try part.write(bytes, at: offset)
    }
    func read(at offset: UInt64, count: Int) throws(FileSystemError) -> [UInt8] { try part.read(at: offset, count: count) }
    func size() throws(FileSystemError) -> UInt64 { try part.size() }
    func sync() throws(FileSystemError) { try part.sync() }
    func appendCheckpoint(_ record: TransferRecord) throws(FileSystemError) { try part.appendCheckpoint(record) }
    func checkpoints() -> [TransferRecord] { part.checkpoints() }
}

/// The state a transfer of `source` leaves when cut at `cut`: a sparse part holding the real
/// bytes of the last block before the cut, its sidecar record, and the sender's journal record.
func interruptedState(source: GeneratedSource, cut: UInt64, path: String, journalPath: String) {
    removePart(path)
    unlink(journalPath)
    var chain = StreamChain()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while chain.offset < cut {
        let count = Int(min(UInt64(buffer.count), cut - chain.offset))
        buffer.withUnsafeMutableBytes { try? source.read(at: chain.offset, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
        buffer.withUnsafeBytes { chain.absorb(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
    let point = chain.point
    do {
        let part = try PartFile.open(path: path)
        var prefix = [UInt8](repeating: 0, count: Int(point.offset - point.blockStart))
        prefix.withUnsafeMutableBytes { try? source.read(at: point.blockStart, into: $0) }
        let written = prefix.withUnsafeBytes { b in Result { () throws(FileSystemError) in try part.write(b, at: point.blockStart) } }
        try written.get()
        try part.truncate(to: cut + 123_456)   // and some unacknowledged tail
        try part.sync()
        try part.appendCheckpoint(TransferRecord(transferID: 1, point: point))
        part.close()
        let journal = try TransferJournal.open(path: journalPath)
        try journal.append(TransferRecord(transferID: 1, point: point, totalSize: source.size))
        journal.close()
    } catch {
        fail("cannot prepare the interrupted state: \(error)")
    }
}

/// From a new link to the first resent byte written at the checkpoint: open the part and the
/// journal, offer, decide, rebuild both chains, first data frame. Seconds.
func resumeLatency(source: GeneratedSource, cut: UInt64, folder: String) -> (seconds: Double, from: UInt64) {
    let path = folder + "/resume", journalPath = folder + "/resume.journal"
    interruptedState(source: source, cut: cut, path: path, journalPath: journalPath)
    defer { removePart(path); unlink(journalPath) }
    let (host, device) = BenchLink.socket.open()
    let clock = ContinuousClock()
    let start = clock.now
    let configuration = StreamConfiguration.forLink(.raw)
    let part: PartFile
    let journal: TransferJournal
    do {
        part = try PartFile.open(path: path)
        journal = try TransferJournal.open(path: journalPath)
    } catch { fail("\(error)") }
    let sink = FirstWriteSink(part: part) { host.close(); device.close() }
    let receiver = StreamReceiver(channel: FrameChannel(link: device), streamID: 1, sink: sink, configuration: configuration)
    let receiving = Background { Result { () throws(StreamError) in try receiver.run() } }
    let sender = StreamSender(channel: FrameChannel(link: host), streamID: 1, transferID: 1, source: source,
                              journal: journal, configuration: configuration)
    _ = Result { () throws(StreamError) in try sender.run() }
    let outcome = receiving.join()
    part.close()
    journal.close()
    guard let first = sink.firstWrite else { fail("the resumed transfer wrote nothing: \(outcome)") }
    let from = part.checkpoints().last?.point.offset ?? 0
    return (seconds(first - start), from)
}

func resumeBenchmark(_ options: [String: String]) {
    let folder = benchFolder(options)
    defer { rmdir(folder) }
    // Cut in the middle of a 1 MiB block, so both sides rehash the most they ever do.
    let cases: [(String, UInt64)] = [("16 MiB", 16 << 20), ("1 GiB", 1 << 30)]
    var best: [Double] = []
    for (name, size) in cases {
        let source = GeneratedSource(size: size, seed: 7)
        let cut = size * 6 / 10 - size * 6 / 10 % (1 << 20) + (1 << 20) - 4096
        var fastest = Double.infinity
        for _ in 0..<7 { fastest = min(fastest, resumeLatency(source: source, cut: cut, folder: folder).seconds) }
        best.append(fastest)
        print("resume \(name) cut at \(cut): \(format(fastest * 1000, 2)) ms to the first resent byte (best of 7)")
    }
    print("resume latency ratio 1 GiB / 16 MiB = \(format(best[1] / best[0]))   (goal: 1 within noise)")
}

/// CPU seconds this process used so far, every thread, user and system.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// Wall seconds of `body` (which returns them) and the CPU seconds it used.
func timed(_ body: () -> Double) -> (wall: Double, cpu: Double) {
    let before = cpuSeconds()
    let wall = body()
    return (wall, cpuSeconds() - before)
}

func maxRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024   // kilobytes on Linux
}

func memoryBenchmark(_ options: [String: String]) {
    let folder = benchFolder(options)
    defer { removePart(folder + "/memory"); rmdir(folder) }
    let small: Int = integer(options, "small-mib", default: 256)
    let large: Int = integer(options, "large-mib", default: 2048)
    let before = maxRSSMiB()
    print("max RSS before streaming: \(format(before, 1)) MiB")
    var peaks: [Double] = []
    for mib in [small, large] {
        let source = GeneratedSource(size: UInt64(mib) << 20, seed: 9)
        let run = engineRun(.socket, source: source, path: folder + "/memory", configuration: .forLink(.raw))
        removePart(folder + "/memory")
        peaks.append(maxRSSMiB())
        print("after streaming \(mib) MiB over a socket pair (\(format(Double(source.size) / run.seconds / 1e6, 1)) MB/s): max RSS \(format(peaks.last!, 1)) MiB")
    }
    print("peak memory ratio \(large) MiB / \(small) MiB = \(format(peaks[1] / peaks[0]))   (goal: 1, both under 64 MiB)")
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "crc":
    crcBenchmark(parseOptions(arguments.dropFirst(), known: ["mib", "rounds"]))
case "fuzz":
    await fuzz(parseOptions(arguments.dropFirst(), known: ["inputs", "seed", "jobs"]))
case "transfer-one":
    transferOne(parseOptions(arguments.dropFirst(), known: ["mode", "mib", "dir", "repeat", "link"]))
case "transfer":
    transferBenchmark(parseOptions(arguments.dropFirst(), known: ["socket-mib", "pty-mib", "rounds", "dir"]))
case "resume":
    resumeBenchmark(parseOptions(arguments.dropFirst(), known: ["dir"]))
case "memory":
    memoryBenchmark(parseOptions(arguments.dropFirst(), known: ["dir", "small-mib", "large-mib"]))
case "raw-device":
    rawDevice(parseOptions(arguments.dropFirst(), known: ["link", "role", "bytes", "file"]))
case "raw-host":
    rawHost(parseOptions(arguments.dropFirst(), known: ["device", "role", "bytes", "file"]))
case "-h", "--help", "help":
    print(usage)
default:
    fail(usage)
}
