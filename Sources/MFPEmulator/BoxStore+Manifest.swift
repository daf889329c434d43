import BridgeTransfer
import Foundation
import MFPKit

/// One of the two files imported content lives in: an apply writes the one not in use.
enum BoxSlot: String, Codable, Sendable, CaseIterable {
    case a, b
    var other: BoxSlot { self == .a ? .b : .a }
}

/// What the box holds now.
enum BoxContent: Sendable, Equatable {
    case generated(size: UInt64, seed: UInt64)
    case imported(slot: BoxSlot, size: UInt64, chain: ChainHash)

    var size: UInt64 {
        switch self {
        case .generated(let size, _), .imported(_, let size, _): size
        }
    }
}

/// `manifest.json`: `{"content": "generated", "format": 1, "seed": S, "size": N}` or
/// `{"chain": "HEX", "content": "imported", "format": 1, "size": N, "slot": "a"}`.
struct BoxManifest: Codable {
    static let currentFormat = 1

    var format: Int
    var content: String
    var size: UInt64
    var seed: UInt64?
    var slot: BoxSlot?
    var chain: String?
    /// When imported content was applied (seconds since 1970): what a host that lost the commit's
    /// answer is told.
    var appliedAt: Int64?

    init(_ content: BoxContent, appliedAt: Date? = nil) {
        format = Self.currentFormat
        self.appliedAt = appliedAt.map { Int64($0.timeIntervalSince1970) }
        switch content {
        case .generated(let size, let seed):
            self.content = "generated"
            self.size = size
            self.seed = seed
        case .imported(let slot, let size, let chain):
            self.content = "imported"
            self.size = size
            self.slot = slot
            self.chain = chain.description
        }
    }

    func content(in path: String) throws -> BoxContent {
        guard format <= Self.currentFormat else {
            throw EmulatorError(
                "the box manifest \(path) has format \(format), newer than this emulator's \(Self.currentFormat); update mfpbridge")
        }
        switch content {
        case "generated":
            if let seed { return .generated(size: size, seed: seed) }
        case "imported":
            if let slot, let chain, let hash = ChainHash([UInt8](hexString: chain) ?? []) {
                return .imported(slot: slot, size: size, chain: hash)
            }
        default:
            break
        }
        throw EmulatorError(
            "the box manifest \(path) describes no content it can open (\(content)); move the box folder away to start with generated content"
        )
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }
}

/// `apply.json`, present only while an apply runs: the content it installs.
struct BoxIntent: Codable {
    var slot: BoxSlot
    var size: UInt64
    var chain: String

    init(slot: BoxSlot, size: UInt64, chain: ChainHash) {
        self.slot = slot
        self.size = size
        self.chain = chain.description
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }
}
