import ArgumentParser
import BridgeClient
import Foundation
import MFPMedia

struct Media: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "USB memory media (sticks): list them, their backups, put a backup on one, eject one.",
        subcommands: [MediaListCommand.self, MediaBackupsCommand.self, MediaPutCommand.self, MediaEjectCommand.self],
        defaultSubcommand: MediaListCommand.self)
}

struct MediaListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List USB memory media (sticks) and their partitions (the default).",
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

struct MediaEjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eject",
        abstract: "Make a stick safe to pull: sync and unmount every partition, then power its port off.",
        discussion: """
            STICK is a label or a device (/dev/sda1, /dev/sda); without it, the one stick present. \
            Every mounted partition of the stick is synced and unmounted (never lazily); "safe to \
            remove" is said only when all unmounts succeeded. Then the stick's USB device is \
            removed from its port (sysfs `remove`, root only), which the kernel sees as the stick \
            leaving. Unmounting a stick someone else mounted needs root. Exit 0 when it is safe to \
            remove, 1 when it is not (a file open on it), 2 when STICK names none or several, 3 when \
            no stick is present.
            """)

    @Argument(help: "The stick: a partition's label, or a device node.") var stick: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let media = MediaScanner.scan()
        guard !media.isEmpty else { throw BridgeError(.unreachable, "no USB memory media is plugged in") }
        let medium: RemovableMedium
        do throws(MediaSelection.Failure) {
            medium = try MediaSelection.choose(stick, among: media)
        } catch {
            throw BridgeError(.usage, error.description)
        }
        let outcome: MediaEject.Outcome
        do throws(MediaEject.Failure) {
            outcome = try MediaEject.eject(medium, among: media)
        } catch {
            throw BridgeError(.failure, error.description)
        }
        if output.json {
            Output.json(outcome)
            return
        }
        for point in outcome.unmounted { Output.line("Unmounted \(point) (synced first).") }
        if outcome.poweredOff { Output.line("Powered \(outcome.disk) off at its USB port.") }
        if let note = outcome.note { Output.line("Note: \(note).") }
        Output.line("\(outcome.disk) is safe to remove.")
    }
}
