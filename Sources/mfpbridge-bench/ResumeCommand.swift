import ArgumentParser
import BridgeLink
import BridgeSystem
import BridgeTransfer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `resume`: from a new link to the first resent byte, for a small and a large interrupted
/// transfer (the latency must not grow with the size).
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume latency, small against large.")

    @Option(help: "Where the run's files go.") var dir = "/tmp"

    func run() {
        let folder = benchFolder(dir)
        defer { try? Syscall.rmdir(folder) }
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
}

/// The state a transfer of `source` leaves when cut at `cut`: a sparse part holding the real
/// bytes of the last block before the cut, its sidecar record, and the sender's journal record.
func interruptedState(source: GeneratedSource, cut: UInt64, path: String, journalPath: String) {
    removePart(path)
    _ = try? Syscall.removeIfPresent(journalPath)
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
        try part.truncate(to: cut + 123_456) // and some unacknowledged tail
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
    defer {
        removePart(path)
        _ = try? Syscall.removeIfPresent(journalPath)
    }
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
    let sink = FirstWriteSink(part: part) {
        host.close(); device.close()
    }
    let receiver = StreamReceiver(channel: FrameChannel(link: device), streamID: 1, sink: sink, configuration: configuration)
    let receiving = Background { Result { () throws(StreamError) in try receiver.run() } }
    let sender = StreamSender(
        channel: FrameChannel(link: host), streamID: 1, transferID: 1, source: source,
        journal: journal, configuration: configuration)
    _ = Result { () throws(StreamError) in try sender.run() }
    let outcome = receiving.join()
    part.close()
    journal.close()
    guard let first = sink.firstWrite else { fail("the resumed transfer wrote nothing: \(outcome)") }
    let from = part.checkpoints().last?.point.offset ?? 0
    return (seconds(first - start), from)
}
