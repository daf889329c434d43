import BridgeLink
import Foundation
import Logging
import Synchronization

/// The emulator's control channel: a Unix socket at `STATE/control.sock` that takes one JSON line
/// per command (`{"words":["job","start","fax"]}`) and answers one JSON line
/// (`{"ok":true,"output":"J1"}` or `{"ok":false,"error":"..."}`).
public enum ControlChannel {
    public static func socketPath(stateDirectory: String) -> String { stateDirectory + "/control.sock" }

    struct Request: Codable {
        var words: [String]
        var secret: String?
    }

    struct Reply: Codable {
        var ok: Bool
        var output: String?
        var error: String?
    }

    /// Sends one command to a running emulator. Returns `nil` when no emulator answers there.
    public static func send(words: [String], secret: String?, stateDirectory: String) throws -> Result<String, EmulatorError>? {
        let link: SocketLink
        do {
            link = try SocketLink.connect(path: socketPath(stateDirectory: stateDirectory), timeout: .seconds(2))
        } catch {
            return nil
        }
        defer { link.close() }
        var line = Array(try JSONEncoder().encode(Request(words: words, secret: secret)))
        line.append(0x0A)
        try link.send(line)
        guard let replyLine = try readLine(link, timeout: .seconds(10)) else {
            throw EmulatorError("the emulator at \(stateDirectory) did not answer")
        }
        let reply = try JSONDecoder().decode(Reply.self, from: Data(replyLine))
        return reply.ok ? .success(reply.output ?? "ok") : .failure(EmulatorError(reply.error ?? "refused"))
    }

    static func readLine(_ link: SocketLink, timeout: Duration) throws -> [UInt8]? {
        var buffer: [UInt8] = []
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let chunk = try link.receive(maxBytes: 4096, timeout: clock.now.duration(to: deadline))
            buffer += chunk
            if let newline = buffer.firstIndex(of: 0x0A) { return Array(buffer[..<newline]) }
            if buffer.count > 1 << 20 { throw EmulatorError("control message too long") }
        }
        return nil
    }
}

/// Accepts control connections for one virtual machine until `stop()`.
public final class ControlServer: Sendable {
    let device: VirtualMFP
    let listener: SocketListener
    let logger: Logger
    private let stopped = Atomic<Bool>(false)

    public init(device: VirtualMFP, stateDirectory: String, logger: Logger) throws {
        self.device = device
        self.listener = try SocketListener(path: ControlChannel.socketPath(stateDirectory: stateDirectory))
        self.logger = logger
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        listener.close()
    }

    /// Blocks, serving one command per connection.
    public func run() {
        while !stopped.load(ordering: .relaxed) {
            let connection: SocketLink?
            do {
                connection = try listener.accept(timeout: .milliseconds(250))
            } catch {
                if !stopped.load(ordering: .relaxed) { logger.error("control channel: \(error)") }
                return
            }
            guard let connection else { continue }
            serve(connection)
        }
    }

    private func serve(_ connection: SocketLink) {
        defer { connection.close() }
        let reply: ControlChannel.Reply
        do {
            guard let line = try ControlChannel.readLine(connection, timeout: .seconds(5)) else { return }
            let request = try JSONDecoder().decode(ControlChannel.Request.self, from: Data(line))
            let command = try ControlCommand.parse(request.words, secret: request.secret)
            let output = try device.apply(command)
            logger.info(
                "control: \(request.words.first == "admin-password" ? "admin-password" : request.words.joined(separator: " ")) -> \(command == .state || command == .digests ? "(json)" : output)"
            )
            reply = .init(ok: true, output: output)
        } catch {
            reply = .init(ok: false, error: "\(error)")
        }
        var bytes = Array((try? JSONEncoder().encode(reply)) ?? Data())
        bytes.append(0x0A)
        try? connection.send(bytes)
    }
}
