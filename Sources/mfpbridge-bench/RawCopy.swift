// The raw copy between two processes that scripts/bench-commands sets against `box-backup` and
// `box-restore` (docs/performance.md, "Box commands end to end"): what the link itself does with
// the same number of bytes, with no framing and no hash.
//
// `raw-device` plays the machine: it listens on a Unix socket or serves a new pty, prints
// `ready ADDRESS` and takes one host. `raw-host` connects to it. The host speaks first (one byte,
// once its end is set up, so that a pty's slave is raw before anything arrives) and last (a pty
// master that closes at once may take the slave's unread input with it). The sender writes
// `--bytes` bytes in the engine's chunk size for the link: generated, or the start of `--file`.
// The receiver pwrites them into `--file`, fsyncs once, and answers one byte, so that the
// sender's time includes the receiver's fsync, as a stream's final acknowledgement does.

import BridgeLink
import BridgeSystem
import BridgeTransfer
import Foundation

struct RawCopy {
    enum Role: String { case send, receive }

    let role: Role
    let size: UInt64
    let file: String?

    init(_ options: [String: String]) {
        guard let role = options["role"].flatMap(Role.init(rawValue:)) else { fail("--role send or --role receive\n\(usage)") }
        self.role = role
        size = integer(options, "bytes", default: 0)
        file = options["file"]
        if role == .receive && file == nil { fail("--role receive needs --file (where the bytes go)") }
    }

    static let go: [UInt8] = [0x47], done: [UInt8] = [0x44], bye: [UInt8] = [0x42]

    /// The byte run, on a link whose other end runs the other role.
    func run(on link: any Link, host: Bool) {
        if host {
            sendOrFail(link, Self.go)
        } else {
            expectByte(link, "the host's first byte")
        }
        let chunk = StreamConfiguration.forLink(link.framing).chunkSize
        switch role {
        case .send:
            sendAll(link, chunk: chunk)
            expectByte(link, "the receiver's acknowledgement")
            if host { sendOrFail(link, Self.bye) }
        case .receive:
            receiveAll(link)
            sendOrFail(link, Self.done)
            if !host { expectByte(link, "the host's last byte") }
        }
    }

    private func sendAll(_ link: any Link, chunk: Int) {
        let source: any StreamSource
        if let file {
            do { source = try FileSource(path: file) } catch { fail("\(error)") }
            guard source.size >= size else { fail("\(file) holds \(source.size) bytes, fewer than --bytes \(size)") }
        } else {
            source = GeneratedSource(size: size, seed: 42)
        }
        var buffer = [UInt8](repeating: 0, count: chunk)
        var at: UInt64 = 0
        while at < size {
            let count = Int(min(UInt64(chunk), size - at))
            if buffer.count != count { buffer = [UInt8](repeating: 0, count: count) }
            let read = buffer.withUnsafeMutableBytes { b in Result { () throws(StreamError) in try source.read(at: at, into: b) } }
            if case let .failure(error) = read { fail("raw copy: cannot read the source: \(error)") }
            sendOrFail(link, buffer)
            at += UInt64(count)
        }
    }

    private func receiveAll(_ link: any Link) {
        let path = file!
        let fd: Int32
        do throws(SystemError) {
            fd = try Syscall.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
        } catch {
            fail("cannot create \(path): errno \(error.errno)")
        }
        defer { Syscall.close(fd) }
        var at: UInt64 = 0
        while at < size {
            let bytes = receive(link, maxBytes: Int(min(UInt64(1 << 20), size - at)), what: "data")
            do throws(SystemError) {
                try Syscall.pwriteAll(fd, bytes, at: at)
            } catch {
                fail("cannot write \(path): errno \(error.errno)")
            }
            at += UInt64(bytes.count)
        }
        do throws(SystemError) {
            try Syscall.fsync(fd)
        } catch {
            fail("cannot fsync \(path): errno \(error.errno)")
        }
    }

    private func sendOrFail(_ link: any Link, _ bytes: [UInt8]) {
        do { try link.send(bytes) } catch { fail("raw copy: send failed: \(error)") }
    }

    private func receive(_ link: any Link, maxBytes: Int, what: String) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try link.receive(maxBytes: maxBytes, timeout: .seconds(30)) } catch { fail("raw copy: receive failed: \(error)") }
        if bytes.isEmpty { fail("raw copy: no \(what) for 30 s") }
        return bytes
    }

    private func expectByte(_ link: any Link, _ what: String) {
        _ = receive(link, maxBytes: 1, what: what)
    }
}

/// `raw-device --link socket:PATH|pty --role send|receive --bytes N [--file PATH]`
func rawDevice(_ options: [String: String]) {
    let copy = RawCopy(options)
    let place = options["link"] ?? ""
    let link: any Link
    do {
        if place == "pty" {
            let terminal = try PseudoTerminal.open()
            announce("ready serial:\(terminal.slavePath)")
            link = terminal
        } else if place.hasPrefix("socket:") {
            let path = String(place.dropFirst("socket:".count))
            let listener = try SocketListener(path: path)
            defer { listener.close() }
            announce("ready unix:\(path)")
            guard let accepted = try listener.accept(timeout: .seconds(60)) else { fail("raw-device: no host came within 60 s") }
            link = accepted
        } else {
            fail("--link socket:PATH or --link pty\n\(usage)")
        }
    } catch {
        fail("raw-device: \(error)")
    }
    defer { link.close() }
    copy.run(on: link, host: false)
}

/// `raw-host --device unix:PATH|serial:PATH --role send|receive --bytes N [--file PATH]`: prints
/// the seconds from its first byte to the end of the copy (the link already open).
func rawHost(_ options: [String: String]) {
    let copy = RawCopy(options)
    let address = options["device"] ?? ""
    let link: any Link
    do {
        if address.hasPrefix("unix:") {
            link = try SocketLink.connect(path: String(address.dropFirst("unix:".count)))
        } else if address.hasPrefix("serial:") {
            link = try SerialLink.open(path: String(address.dropFirst("serial:".count)))
        } else {
            fail("--device unix:PATH or serial:PATH\n\(usage)")
        }
    } catch {
        fail("raw-host: \(error)")
    }
    defer { link.close() }
    let elapsed = ContinuousClock().measure { copy.run(on: link, host: true) }
    print("raw \(copy.role.rawValue) \(copy.size) bytes in \(format(seconds(elapsed), 6)) s")
}

/// A line on standard output, at once (the script waits for it).
func announce(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { try? Syscall.writeAll(1, UnsafeRawBufferPointer($0)) }
}
