import ArgumentParser
import BridgeClient
import Foundation
import Logging

struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The machine to talk to.", discussion: DeviceAddress.help, valueName: "address"))
    var device: String

    @Option(name: .long, help: ArgumentHelp("Where the emulator's device profiles are (for emulated: addresses).", valueName: "dir"))
    var profiles: String?
}

struct LoginOptions: ParsableArguments {
    @Option(name: .long, help: "The administrator account (R1).")
    var user = "Administrator"

    @Option(name: .long, help: ArgumentHelp(
        "A file whose first line is the administrator password.",
        discussion: "Otherwise the password comes from MFPBRIDGE_PASSWORD, or a prompt without echo. Never from the command line.",
        valueName: "file"))
    var passwordFile: String?

    /// The password from the file, the environment or a prompt, in that order.
    func password() throws(BridgeError) -> String {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw BridgeError(.usage, "cannot read the password file \(passwordFile)")
            }
            let text = String(decoding: data, as: UTF8.self)
            return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
        if let fromEnvironment = ProcessInfo.processInfo.environment["MFPBRIDGE_PASSWORD"] {
            return fromEnvironment
        }
        guard let typed = SecretPrompt.read(prompt: "Password for \(user): ") else {
            throw BridgeError(.usage, "no administrator password: give --password-file FILE, set MFPBRIDGE_PASSWORD, or run on a terminal to be asked")
        }
        return typed
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object for scripts instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log what happens on the link to standard error.")
    var verbose = false

    func makeLogger(_ label: String) -> Logger {
        LoggingBootstrap.once()
        var logger = Logger(label: label)
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }
}

enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    static func once() {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
    }
}
