// What the benchmarks share: timing, formatting, the links and the two ways across them.

import ArgumentParser
import BridgeLink
import BridgeSystem
import BridgeTransfer
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String) -> Never {
    let text = message + "\n"
    try? Syscall.writeAll(2, Array(text.utf8))
    exit(2)
}

/// An integer option: decimal or `0x` hex, never negative.
func nonNegative<T: FixedWidthInteger>(_ text: String) throws -> T {
    let parsed = text.hasPrefix("0x") ? T(text.dropFirst(2), radix: 16) : T(text)
    guard let parsed, parsed >= 0 else { throw ValidationError("wants a non-negative integer, not \(text)") }
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

enum BenchLink: String, CaseIterable, ExpressibleByArgument {
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

/// A new folder for one run's files under `base` (the `--dir` option).
func benchFolder(_ base: String) -> String {
    let path = base + "/mfpb-bench-\(getpid())"
    do { try DurableFile.makeDirectory(path) } catch { fail("\(error)") }
    return path
}

func removePart(_ path: String) {
    for file in [path, path + ".part", path + ".part.ckpt"] { _ = try? Syscall.removeIfPresent(file) }
}

/// The engine: sender on this thread, receiver into a part file on another. Seconds.
func engineRun(
    _ kind: BenchLink, source: any StreamSource, path: String, configuration: StreamConfiguration,
    journal: TransferJournal? = nil
) -> (seconds: Double, result: StreamResult) {
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
    let sender = StreamSender(
        channel: FrameChannel(link: host), streamID: 1, transferID: 1, source: source,
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
    _ = try? Syscall.removeIfPresent(path)
    let (host, device) = kind.open()
    defer { host.close(); device.close() }
    guard let fd = try? Syscall.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600) else { fail("cannot create \(path)") }
    defer { Syscall.close(fd) }
    let size = source.size
    let clock = ContinuousClock()
    let start = clock.now
    let receiving = Background { () -> Bool in
        var at: UInt64 = 0
        while at < size {
            // Reads as large as the engine's (FrameChannel): 1 MiB on a socket, 64 KiB on a pty.
            guard let bytes = try? device.receive(maxBytes: kind == .socket ? 1 << 20 : 64 << 10, timeout: .seconds(10)),
                !bytes.isEmpty
            else { return false }
            _ = try? Syscall.pwriteAll(fd, bytes, at: at)
            at += UInt64(bytes.count)
        }
        return (try? Syscall.fsync(fd)) != nil
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
    return Double(usage.ru_maxrss) / 1024 // kilobytes on Linux
}
