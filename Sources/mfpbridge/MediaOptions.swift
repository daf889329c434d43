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
