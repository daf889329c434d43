import ArgumentParser
import BridgeClient
import Foundation
import MFPMedia
import MFPOperations

/// `--to-media [STICK]`: the backup is made on this computer, then put on the stick power-safely.
struct ToMediaOptions: ParsableArguments {
    @Option(
        name: .customLong("to-media"),
        help: ArgumentHelp(
            "Put the backup on a USB stick: its label, its device, or a folder (PATH); given alone, the one stick plugged in.",
            discussion:
                "The backup goes into the stick's mfpbridge folder, named by machine, model and time, and counts only once it read back from the stick verified. A stick that is not mounted is mounted (as root) and unmounted again.",
            valueName: "stick"))
    var stick: String?

    var requested: Bool { stick != nil }
    /// nil: the one stick.
    var name: String? { stick.flatMap { $0.isEmpty ? nil : $0 } }
}

/// `--from-media [STICK] (--pick NAME | --latest)`.
struct FromMediaOptions: ParsableArguments {
    @Option(
        name: .customLong("from-media"),
        help: ArgumentHelp(
            "Take the backup from a USB stick: its label, its device, or a folder (PATH); given alone, the one stick plugged in.",
            valueName: "stick"))
    var stick: String?

    @Option(name: .long, help: ArgumentHelp("The backup on the stick to take (as `mfpbridge media backups` names it).", valueName: "name"))
    var pick: String?

    @Flag(name: .long, help: "Take the newest backup on the stick of the machine addressed by --device.")
    var latest = false

    var requested: Bool { stick != nil }
    var name: String? { stick.flatMap { $0.isEmpty ? nil : $0 } }

    func validate(hasFile: Bool) throws {
        if requested {
            guard !hasFile else { throw ValidationError("give a FILE or --from-media, not both") }
            guard (pick != nil) != latest else { throw ValidationError("with --from-media, choose the backup: --pick NAME or --latest") }
        } else {
            guard hasFile else { throw ValidationError("give the FILE to read, or --from-media STICK with --pick NAME or --latest") }
            guard pick == nil && !latest else { throw ValidationError("--pick and --latest go with --from-media") }
        }
    }
}

enum MediaOptionValues {
    /// `--to-media` and `--from-media` may be given without a value (the one stick): ArgumentParser
    /// wants one, so a bare one gets an empty name.
    static let optional = ["--to-media", "--from-media"]

    static func normalize(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            if optional.contains(argument) {
                let next = index + 1 < arguments.count ? arguments[index + 1] : nil
                if next == nil || next!.hasPrefix("-") {
                    result += [argument, ""]
                    continue
                }
            }
            result.append(argument)
        }
        return result
    }
}

extension MediaDestination {
    /// Opens the stick for a command, errors as the commands report them.
    static func forCommand(_ name: String?, create: Bool, writable: Bool = false) throws(BridgeError) -> MediaDestination {
        let destination: MediaDestination
        do throws(MediaError) {
            destination = try MediaDestination.open(name, create: create, writable: writable)
        } catch {
            throw BridgeError(MediaTransfer.mediaStatus(error), error.description)
        }
        if destination.medium == nil {
            // A folder named by the operator is used as asked; a stick is never guessed.
            Output.warn("note: \(destination.root) is not on a USB stick (udev lists none there): using it as the folder asked for")
        }
        return destination
    }

    /// Unmounts what this command mounted; says what the operator may do with the stick now.
    func finishForCommand() throws(BridgeError) -> String {
        let mounted = mountedHere != nil
        do throws(MediaError) {
            try finish()
        } catch {
            throw BridgeError(.failure, error.description)
        }
        return mounted
            ? "The stick was mounted for this and is unmounted again: it is safe to remove."
            : "Run `mfpbridge media eject` before pulling the stick."
    }

    /// A backup on the stick copied to this computer first (the stick may leave afterwards).
    func fetch(_ backup: MediaBackupCatalog.Backup, workspace: Workspace) throws(BridgeError) -> String {
        let local: String
        do {
            local = try MediaTransfer.incomingPath(workspace, name: backup.name)
        } catch {
            throw BridgeError(.failure, "cannot make the folder for copies from sticks: \(error)")
        }
        do throws(MediaError) {
            try MediaCopy.fetch(backup.name, from: folder, to: local) { done, total in
                Progress(label: "from stick").update(Int(done), Int(total))
            }
        } catch {
            throw BridgeError(MediaTransfer.mediaStatus(error), "\(error); nothing was changed on the machine")
        }
        return local
    }

    /// The backups on the stick, listed (errors as the commands report them).
    func listing() throws(BridgeError) -> MediaBackupCatalog.Listing {
        do throws(MediaError) {
            return try MediaBackupCatalog.list(folder)
        } catch {
            throw BridgeError(MediaTransfer.mediaStatus(error), error.description)
        }
    }
}

extension FromMediaOptions {
    /// The backup chosen on the stick, copied to this computer (the stick is released, and
    /// unmounted again if this command mounted it): the path of the copy.
    func take(_ kind: MediaBackupCatalog.Backup.Kind, target: DeviceTarget, context: OperationContext) throws -> String {
        let destination = try MediaDestination.forCommand(name, create: false)
        // A failure leaves the stick as it was found (a mount made here undone); after finish() a no-op.
        defer { destination.abandon() }
        let listing = try destination.listing()
        let serial = latest ? try MediaTransfer.serialNumber(of: target, context: context) : nil
        let backup = try MediaBackupCatalog.choose(listing, kind: kind, pick: pick, latestFor: serial)
        Output.warn(
            "Taking \(backup.name) (\(backup.model), \(backup.serialNumber), \(backup.createdAt.formatted(.iso8601))) from \(listing.folder)."
        )
        let local = try destination.fetch(backup, workspace: context.workspace)
        _ = try destination.finishForCommand()
        return local
    }
}
