import ArgumentParser
import BridgeLink

/// `raw-host --device unix:PATH|serial:PATH --role send|receive --bytes N [--file PATH]`: the host's
/// end of the raw copy; prints the seconds from its first byte to the end of the copy (the link
/// already open).
struct RawHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "raw-host", abstract: "The host's end of the raw copy.")

    @Option(help: ArgumentHelp("unix:PATH or serial:PATH.", valueName: "address")) var device: String
    @OptionGroup var options: RawCopyOptions

    func validate() throws {
        guard device.hasPrefix("unix:") || device.hasPrefix("serial:") else { throw ValidationError("--device unix:PATH or serial:PATH") }
    }

    func run() {
        let copy = options.copy
        let link: any Link
        do {
            if device.hasPrefix("unix:") {
                link = try SocketLink.connect(path: String(device.dropFirst("unix:".count)))
            } else {
                link = try SerialLink.open(path: String(device.dropFirst("serial:".count)))
            }
        } catch {
            fail("raw-host: \(error)")
        }
        defer { link.close() }
        let elapsed = ContinuousClock().measure { copy.run(on: link, host: true) }
        print("raw \(copy.role.rawValue) \(copy.size) bytes in \(format(seconds(elapsed), 6)) s")
    }
}
