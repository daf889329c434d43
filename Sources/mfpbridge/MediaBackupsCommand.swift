import ArgumentParser
import BridgeClient
import Foundation
import MFPKit
import MFPMedia
import MFPOperations

struct MediaBackupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "List the backups on a stick, and what a pull left half-written.",
        discussion: """
            STICK is a label, a device or a folder (PATH); without it, the one stick plugged in. The \
            backups are the files of the stick's mfpbridge folder whose header (a settings bundle) or \
            sealed trailer (a box backup) checks and whose length is the one it describes; newest first. \
            Anything else there of ours is listed as incomplete, with the reason: a partial copy, an \
            empty file (a pull right after the write, on FAT), a file cut short. --clean removes the \
            incomplete files (never a backup). --verify reads every byte of every backup and checks its \
            seal; one that fails is listed as incomplete. Every byte of a backup is checked again when it is taken \
            (import or box-restore --from-media; R8). Exit 0, 2 when STICK names none or several, 3 \
            when no stick is present.
            """)

    @Argument(help: "The stick: a label, a device node or a folder.") var stick: String?

    @Flag(name: .long, help: "Remove the incomplete files.")
    var clean = false

    @Flag(name: .long, help: "Read every byte of every backup and check its seal (R8); a protected bundle needs its password.")
    var verify = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --verify: the protected bundles' password, in this file's first line; or MFPBRIDGE_BUNDLE_PASSWORD.", valueName: "file"))
    var passwordFile: String?

    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        var folder: String
        var backups: [MediaBackupCatalog.Backup]
        var incomplete: [MediaBackupCatalog.Incomplete]
        var removed: [String]
    }

    func run() throws {
        let destination = try MediaDestination.forOperation(stick, create: false, writable: clean, events: CommandContext.events())
        // A failure leaves the stick as it was found (a mount made here undone); after finish() a no-op.
        defer { destination.abandon() }
        var listing = try destination.listing()
        if verify {
            let password = try Secret.bundlePassword(file: passwordFile)
            do throws(MediaError) {
                try MediaBackupCatalog.verify(&listing, in: destination.folder, password: password)
            } catch {
                throw BridgeError(MediaTransfer.mediaStatus(error), error.description)
            }
        }
        var removed: [String] = []
        if clean {
            do throws(MediaError) {
                removed = try MediaBackupCatalog.clean(listing, in: destination.folder)
            } catch {
                throw BridgeError(.failure, error.description)
            }
        }
        let afterwards = try destination.finishOperation()
        if output.json {
            Output.json(Report(folder: listing.folder, backups: listing.backups, incomplete: listing.incomplete, removed: removed))
            return
        }
        if listing.backups.isEmpty { Output.line("No backups in \(listing.folder).") }
        for backup in listing.backups {
            let what =
                backup.kind == .box
                ? "box documents: \(backup.documents ?? 0)"
                : "settings: \(backup.categories?.count ?? 0) categories\(backup.passwordProtected == true ? ", password-protected" : "")"
            let checked = backup.verified == true ? ", verified" : backup.verified == false ? ", header checked (no password)" : ""
            Output.line(
                "\(backup.name)  \(backup.model) \(backup.serialNumber), \(backup.createdAt.formatted(.iso8601)), \(MediaListCommand.size(backup.bytes)), \(what)\(checked)"
            )
        }
        for file in listing.incomplete {
            let fate = removed.contains(file.name) ? "removed" : "incomplete"
            Output.line("\(fate): \(file.name) (\(file.bytes) bytes): \(file.reason)")
        }
        if !listing.incomplete.isEmpty && !clean {
            Output.line("Incomplete files are never offered as backups; `mfpbridge media backups --clean` removes them.")
        }
        if destination.mountedHere == nil && clean && !removed.isEmpty { Output.line(afterwards) }
    }
}

struct MediaPutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Put a backup file from this computer on a stick, power-safely.",
        discussion: """
            FILE (a settings bundle or a box backup) is verified, written to the stick's mfpbridge \
            folder under its machine's name, synced, read back from the stick (not the page cache) and \
            verified again; only then is it a backup on the stick. A pull at any moment leaves the \
            stick's earlier backups intact and nothing incomplete offered as a backup. A protected \
            bundle is checked with its password (--password-file or MFPBRIDGE_BUNDLE_PASSWORD) when \
            given; without it, its header, length and a byte-for-byte comparison with FILE. Exit 0; 1 \
            when the stick is full, read-only or pulled (nothing written); 2 and 3 as for `media backups`; \
            6 when FILE is damaged.
            """)

    @Argument(help: ArgumentHelp("The backup file to put on the stick.", valueName: "file")) var file: String
    @Argument(help: "The stick: a label, a device node or a folder.") var stick: String?

    @Option(
        name: .long,
        help: ArgumentHelp("A protected bundle's password, in this file's first line; or set MFPBRIDGE_BUNDLE_PASSWORD.", valueName: "file")
    )
    var passwordFile: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let checked = try MediaTransfer.check(file, password: try Secret.bundlePassword(file: passwordFile))
        let events = CommandContext.events()
        let destination = try MediaDestination.forOperation(stick, create: true, events: events)
        // A failure leaves the stick as it was found (a mount made here undone); after finish() a no-op.
        defer { destination.abandon() }
        let written = try MediaTransfer.publish(
            file, origin: checked.origin, box: checked.box, at: checked.createdAt, keepingLocal: true, to: destination,
            verify: checked.verify, events: events)
        let afterwards = try destination.finishOperation()
        if output.json {
            Output.json(["file": written.path, "bytes": "\(written.bytes)", "verified": "true"])
        } else {
            Output.line("Put \(file) on the stick as \(written.path) (\(written.bytes) bytes, read back from the stick and verified).")
            Output.line(afterwards)
        }
    }
}
