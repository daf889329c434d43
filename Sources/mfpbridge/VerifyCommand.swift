import ArgumentParser
import BridgeClient
import MFPBundle

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every byte of a bundle or box backup: exits 0 when intact, 6 when not.",
        discussion: """
            Reads the whole bundle and checks its header, every part and, for a password-protected \
            bundle, every encrypted chunk with its password (R8, R13); for a box backup, its preamble, \
            its sealed trailer and every document byte. Names what is wrong: the \
            header, a part, a chunk, or the end of the file (truncated, extra bytes). Exits 6 on any \
            damage, edit, truncation or wrong password, 2 when a protected bundle's password is \
            missing, 0 when the bundle is intact.
            """)

    @Argument(help: ArgumentHelp("The bundle file.", valueName: "file"))
    var file: String

    @OptionGroup var bundlePassword: BundlePasswordOptions

    func run() throws {
        let contents: BundleContents
        switch try FileVerification.verify(path: file, password: try bundlePassword.password()) {
        case let .boxBackup(backup):
            Output.line(
                "\(file): intact box backup: \(backup.documents) documents, \(backup.payloadSize) bytes from \(backup.origin.model) (\(backup.origin.serialNumber)), every byte checked (sealed trailer, chain hash)"
            )
            return
        case let .bundle(bundle):
            contents = bundle
        }
        let items = contents.categories.reduce(0) { $0 + $1.itemCount }
        let sealing = contents.header.isPasswordProtected ? "authenticated encryption, password checked" : "SHA-256 manifest"
        Output.line(
            "\(file): intact: \(contents.categories.count) categor\(contents.categories.count == 1 ? "y" : "ies"), \(items) item\(items == 1 ? "" : "s"), every byte checked (\(sealing))"
        )
    }
}
