import ArgumentParser
import BridgeClient

/// The password of a protected bundle (R13): from a file or the environment, never the command line.
struct BundlePasswordOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A file whose first line is the bundle password (R13).",
            discussion: "Otherwise the password comes from MFPBRIDGE_BUNDLE_PASSWORD. Never from the command line.",
            valueName: "file"))
    var passwordFile: String?

    static let environmentVariable = "MFPBRIDGE_BUNDLE_PASSWORD"

    /// The password from --password-file or the environment; `nil` when neither gives one.
    func password() throws(BridgeError) -> String? {
        try Secret.bundlePassword(file: passwordFile)
    }
}
