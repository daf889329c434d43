import ArgumentParser
import BridgeLink

/// `raw-device --link socket:PATH|pty --role send|receive --bytes N [--file PATH]`: the machine's
/// end of the raw copy (RawCopy.swift).
struct RawDeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "raw-device", abstract: "The machine's end of the raw copy.")

    @Option(help: ArgumentHelp("socket:PATH or pty.", valueName: "place")) var link: String
    @OptionGroup var options: RawCopyOptions

    func validate() throws {
        guard link == "pty" || link.hasPrefix("socket:") else { throw ValidationError("--link socket:PATH or --link pty") }
    }

    func run() {
        let copy = options.copy
        let link: any Link
        do {
            if self.link == "pty" {
                let terminal = try PseudoTerminal.open()
                announce("ready serial:\(terminal.slavePath)")
                link = terminal
            } else {
                let path = String(self.link.dropFirst("socket:".count))
                let listener = try SocketListener(path: path)
                defer { listener.close() }
                announce("ready unix:\(path)")
                guard let accepted = try listener.accept(timeout: .seconds(60)) else { fail("raw-device: no host came within 60 s") }
                link = accepted
            }
        } catch {
            fail("raw-device: \(error)")
        }
        defer { link.close() }
        copy.run(on: link, host: false)
    }
}
