import BridgeTransfer
import Foundation

/// The box documents as one byte stream: per document a 64-byte header, then its bytes, one
/// document after another, nothing before the first or after the last.
///
/// | bytes | field |
/// | --- | --- |
/// | 0-7 | magic `MFPBOX01` (ASCII) |
/// | 8-15 | the document's size in bytes (what follows the header), little-endian |
/// | 16-19 | document id, little-endian |
/// | 20-21 | the name's length in bytes (at most 42), little-endian |
/// | 22-63 | the name, UTF-8 (`advanced-box/scans/scan-000001.pdf`), zero-padded |
///
/// A stream shorter than one header holds no document (a generated box of 1 to 63 bytes is
/// filler). The store accepts any bytes an import carries once their size and chain hash verify;
/// ``BoxContainer/walk(size:read:)`` counts the well-formed documents and says where the
/// container stops making sense, if it does.
enum BoxContainer {
    static let headerSize = 64
    static let magic = Array("MFPBOX01".utf8)
    static let maxNameBytes = headerSize - 22

    struct Document: Sendable, Equatable {
        var id: UInt32
        var name: String
        /// Where its header starts in the stream.
        var offset: UInt64
        /// Bytes after the header.
        var size: UInt64
    }

    static func header(id: UInt32, name: String, size: UInt64) -> [UInt8] {
        var out = magic
        out.reserveCapacity(headerSize)
        withUnsafeBytes(of: size.littleEndian) { out += $0 }
        withUnsafeBytes(of: id.littleEndian) { out += $0 }
        let nameBytes = Array(name.utf8.prefix(maxNameBytes))
        withUnsafeBytes(of: UInt16(nameBytes.count).littleEndian) { out += $0 }
        out += nameBytes
        out += [UInt8](repeating: 0, count: headerSize - out.count)
        return out
    }

    /// Nil unless `bytes` is one well-formed header.
    static func decodeHeader(_ bytes: [UInt8], at offset: UInt64) -> Document? {
        guard bytes.count == headerSize, Array(bytes[0..<8]) == magic else { return nil }
        func load<T: FixedWidthInteger>(_: T.Type, _ at: Int) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
        }
        let nameLength = Int(load(UInt16.self, 20))
        guard nameLength <= maxNameBytes, let name = String(validating: bytes[22..<(22 + nameLength)], as: UTF8.self) else {
            return nil
        }
        return Document(id: load(UInt32.self, 16), name: name, offset: offset, size: load(UInt64.self, 8))
    }

    /// What a walk over a stream's headers found.
    struct Walk: Sendable {
        var documents: [Document]
        /// Nil when the documents cover the stream exactly; otherwise where and why the walk stopped.
        var problem: String?
    }

    /// Walks the headers of a stream of `size` bytes, reading only the headers.
    static func walk(size: UInt64, read: (UInt64, Int) throws -> [UInt8]) rethrows -> Walk {
        var documents: [Document] = []
        var offset: UInt64 = 0
        while offset < size {
            guard size - offset >= UInt64(headerSize) else {
                return Walk(documents: documents, problem: "\(size - offset) bytes at offset \(offset) are too few for a document header")
            }
            guard let document = decodeHeader(try read(offset, headerSize), at: offset) else {
                return Walk(documents: documents, problem: "no document header at offset \(offset)")
            }
            guard document.size <= size - offset - UInt64(headerSize) else {
                return Walk(
                    documents: documents, problem: "document \(document.id) at offset \(offset) claims \(document.size) bytes, past the end"
                )
            }
            documents.append(document)
            offset += UInt64(headerSize) + document.size
        }
        return Walk(documents: documents, problem: nil)
    }
}

/// The generated content of a box that was never imported: `size` bytes from `seed`, computed on
/// read (nothing on disk but the manifest).
///
/// Document sizes are drawn from the seed (between 1/16 and all of a bound that grows with the box:
/// at least 256 bytes, at most 4 MiB unless the box is so large that the count would pass 65,536);
/// the last document takes what remains. Document bytes are ``GeneratedSource``'s bytes at the
/// same stream offsets, so any range is computed directly, without the bytes before it.
struct GeneratedBoxSource: StreamSource {
    let size: UInt64
    let seed: UInt64
    /// Where each document's header starts, ascending.
    let starts: [UInt64]
    /// Each document's size after its header.
    let bodies: [UInt64]

    init(size: UInt64, seed: UInt64) {
        self.size = size
        self.seed = seed
        let header = UInt64(BoxContainer.headerSize)
        let bound = max(256, min(4 << 20, size / 8), size / 32_768)
        var random = FixtureRandom(seed: seed ^ 0xB0C5_D0C5_0000_0001)
        var starts: [UInt64] = []
        var bodies: [UInt64] = []
        var offset: UInt64 = 0
        while size - offset >= header {
            let rest = size - offset - header
            var body = UInt64(random.int(Int(bound / 16)...Int(bound)))
            // The last document takes the rest: no room for another header after this one.
            if body >= rest || rest - body < header { body = rest }
            starts.append(offset)
            bodies.append(body)
            offset += header + body
        }
        self.starts = starts
        self.bodies = bodies
    }

    var documentCount: Int { starts.count }

    func name(_ index: Int) -> String {
        let word = GeneratedSource.word(UInt64(index), seed: seed ^ 0x6E61_6D65_0000_0000)
        let number = String(index + 1).leftPadded(to: 6)
        switch word % 4 {
        case 0: return "advanced-box/scans/scan-\(number).pdf"
        case 1: return "advanced-box/shared/copy-\(number).tif"
        case 2: return "mail-box/\(String((word >> 8) % 100).leftPadded(to: 2))/doc-\(number).pdf"
        default: return "mail-box/fax/fax-\(number).tif"
        }
    }

    func header(_ index: Int) -> [UInt8] {
        BoxContainer.header(id: UInt32(truncatingIfNeeded: index + 1), name: name(index), size: bodies[index])
    }

    func document(_ index: Int) -> BoxContainer.Document {
        BoxContainer.Document(id: UInt32(truncatingIfNeeded: index + 1), name: name(index), offset: starts[index], size: bodies[index])
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) {
        guard !buffer.isEmpty else { return }
        try GeneratedSource(size: size, seed: seed).read(at: offset, into: buffer)
        // Then the headers that overlap [offset, end): from the last document starting at or before offset.
        let end = offset + UInt64(buffer.count)
        var low = 0
        var high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle] <= offset { low = middle + 1 } else { high = middle }
        }
        var index = max(0, low - 1)
        while index < starts.count && starts[index] < end {
            let start = starts[index]
            let headerEnd = start + UInt64(BoxContainer.headerSize)
            if headerEnd > offset {
                let bytes = header(index)
                let from = max(start, offset)
                let to = min(headerEnd, end)
                for position in from..<to {
                    buffer[Int(position - offset)] = bytes[Int(position - start)]
                }
            }
            index += 1
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
