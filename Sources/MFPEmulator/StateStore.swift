import BridgeTransfer
import Foundation

/// Keeps the emulator's state in `DIR/state.json`, replaced atomically on every change so that a
/// killed emulator comes back with the last state it acknowledged.
struct StateStore: Sendable {
    let directory: String
    var path: String { directory + "/state.json" }

    func load() throws -> EmulatorState? {
        guard let bytes = try DurableFile.read(path) else { return nil }
        // A state file an older version (or a copy) left readable by others holds the login verifiers.
        try PrivateFile.restrict(path)
        do {
            return try Self.decoder.decode(EmulatorState.self, from: Data(bytes))
        } catch {
            throw EmulatorError("the emulator state \(path) is unreadable (\(error)); move it away to start from factory settings")
        }
    }

    func save(_ state: EmulatorState) throws {
        try DurableFile.write(try Self.encoder.encode(state), to: path)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

public struct EmulatorError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
