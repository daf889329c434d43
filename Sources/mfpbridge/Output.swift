import BridgeClient
import Foundation
import MFPKit

/// Printing for people and for scripts.
enum Output {
    static func line(_ text: String) {
        // Written straight to the descriptor so that a line reaches a pipe at once.
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding our own plain Codable values cannot fail.
        line(String(decoding: try! encoder.encode(value), as: UTF8.self))
    }

    /// Prints the error and what it blocks on, and exits with its status.
    static func fail(_ error: BridgeError) -> Never {
        warn("error: \(error.message)")
        for blocker in error.blockers {
            warn("  \(blocker.rule.rawValue) \(blocker.code): \(blocker.message)")
        }
        exit(error.status.rawValue)
    }
}
