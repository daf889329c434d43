import ArgumentParser
import Foundation
import MFPMedia

struct Media: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List USB memory media (sticks) and their partitions.",
        discussion: """
            USB block devices and their partitions from udev: vendor, model, serial, label, UUID, \
            file system, size, the removable and write-protect flags, where each is mounted \
            (/proc/self/mountinfo, matched by major:minor), whether it is mounted read-only, and \
            the free space of each mounted file system. `mfpbridge watch` reports sticks arriving \
            and leaving. With --json, one object: {"media": [...]}.
            """)

    @OptionGroup var output: OutputOptions

    struct Listing: Encodable {
        var media: [RemovableMedium]
    }

    func run() throws {
        let media = MediaScanner.scan()
        if output.json {
            Output.json(Listing(media: media))
            return
        }
        guard !media.isEmpty else {
            Output.line("No USB memory media: plug a stick in (its partitions are listed once udev has seen it).")
            return
        }
        for medium in media {
            var facts = [medium.kind.rawValue, Self.size(medium.sizeBytes)]
            if let fileSystem = medium.fileSystem { facts.append(fileSystem) }
            if let label = medium.label { facts.append("label \(label)") }
            if medium.writeProtected { facts.append("write-protected") }
            let name = [medium.vendor, medium.model].compactMap { $0 }.joined(separator: " ")
            Output.line("\(medium.devnode)  \(facts.joined(separator: ", "))\(name.isEmpty ? "" : "  (\(name))")")
            for point in medium.mountPoints {
                let free = medium.freeBytes.map { ", \(Self.size($0)) free" } ?? ""
                Output.line("    mounted on \(point)\(medium.mountedReadOnly ? " read-only" : "")\(free)")
            }
        }
    }

    static func size(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : "\(String(format: "%.1f", value)) \(units[unit])"
    }
}
