import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Foundation
import Logging
import MFPKit

struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The machine to talk to.", discussion: DeviceAddress.help, valueName: "address"))
    var device: String

    @Option(name: .long, help: ArgumentHelp("Where the emulator's device profiles are (for emulated: addresses).", valueName: "dir"))
    var profiles: String?
}

struct LoginOptions: ParsableArguments {
    @Option(name: .long, help: "The administrator account (R1).")
    var user = "Administrator"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A file whose first line is the administrator password.",
            discussion: "Otherwise the password comes from MFPBRIDGE_PASSWORD, or a prompt without echo. Never from the command line.",
            valueName: "file"))
    var passwordFile: String?

    func password() throws(BridgeError) -> String {
        try Secret.read(
            file: passwordFile, environment: "MFPBRIDGE_PASSWORD", prompt: "Administrator password for \(user): ",
            missing: "no administrator password: give --password-file FILE, set MFPBRIDGE_PASSWORD, or run on a terminal to be asked")
    }
}

/// Who logs in (R1), and where the password comes from.
protocol AdministratorCredentials {
    var user: String { get }
    func password() throws(BridgeError) -> String
}

extension LoginOptions: AdministratorCredentials {}
extension AdminLoginOptions: AdministratorCredentials {}

/// The administrator login of commands whose `--password-file` is the bundle's password.
struct AdminLoginOptions: ParsableArguments {
    @Option(name: .long, help: "The administrator account (R1).")
    var user = "Administrator"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A file whose first line is the administrator password.",
            discussion: "Otherwise MFPBRIDGE_PASSWORD, or a prompt without echo. Never from the command line.",
            valueName: "file"))
    var adminPasswordFile: String?

    func password() throws(BridgeError) -> String {
        try Secret.read(
            file: adminPasswordFile, environment: "MFPBRIDGE_PASSWORD", prompt: "Administrator password for \(user): ",
            missing: "no administrator password: give --admin-password-file FILE, set MFPBRIDGE_PASSWORD, or run on a terminal to be asked")
    }
}

/// Passwords come from a file (its first line), the environment, or a prompt without echo: never argv.
enum Secret {
    /// A password typed at a prompt is asked once per command, even when `--wait` reconnects.
    nonisolated(unsafe) private static var typed: [String: String] = [:]

    static func read(file: String?, environment name: String, prompt: String, missing: String) throws(BridgeError) -> String {
        if let file {
            try checkPasswordFile(file)
            guard let data = FileManager.default.contents(atPath: file) else {
                let code = errno // what Foundation's read left
                throw BridgeError(
                    .usage,
                    "cannot read the password file \(file): \(SystemError.reason(code).lowercased()) (\(FileSystemError.symbol(code)))")
            }
            // The first line, without its end ("\n" or "\r\n").
            var line = Array(data.prefix { $0 != 0x0A })
            if line.last == 0x0D { line.removeLast() }
            return String(decoding: line, as: UTF8.self)
        }
        if let fromEnvironment = ProcessInfo.processInfo.environment[name], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        if let earlier = Self.typed[prompt] { return earlier }
        guard let answer = SecretPrompt.read(prompt: prompt) else {
            throw BridgeError(.usage, missing)
        }
        Self.typed[prompt] = answer
        return answer
    }

    /// Refuses a password file others may read or change, as ssh refuses such a key file (exit 2).
    /// Pipes and terminals (`<(...)`, /dev/stdin) are not files others can open later: they pass.
    static func checkPasswordFile(_ file: String) throws(BridgeError) {
        let info: stat
        do throws(SystemError) {
            info = try Syscall.stat(file)
        } catch  where error.errno == ENOENT || error.errno == ENOTDIR {
            throw BridgeError(.usage, "no password file at \(file): check the file name")
        } catch {
            throw BridgeError(.usage, "cannot read the password file \(file): \(error.reason.lowercased()) (\(error.symbol))")
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR { throw BridgeError(.usage, "\(file) is a folder, not a password file") }
        guard kind == S_IFREG else { return }
        let mode = String(format: "%04o", info.st_mode & 0o7777)
        if info.st_mode & 0o044 != 0 {
            throw BridgeError(.usage, "\(file) is readable by others (mode \(mode)): chmod 600 \(file)")
        }
        if info.st_mode & 0o022 != 0 {
            throw BridgeError(.usage, "\(file) is writable by others (mode \(mode)): chmod 600 \(file)")
        }
    }

    /// The bundle password (R13), if any: from the file, or MFPBRIDGE_BUNDLE_PASSWORD.
    static func bundlePassword(file: String?) throws(BridgeError) -> String? {
        if file == nil, ProcessInfo.processInfo.environment["MFPBRIDGE_BUNDLE_PASSWORD"]?.isEmpty ?? true { return nil }
        return try read(file: file, environment: "MFPBRIDGE_BUNDLE_PASSWORD", prompt: "", missing: "")
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

/// `--category` values, checked: a typo is a usage error.
func parseSelections(_ names: [String]) throws(BridgeError) -> [CategorySelection] {
    var selections: [CategorySelection] = []
    for name in names {
        do {
            selections.append(try CategorySelection.parse(name))
        } catch {
            throw BridgeError(.usage, error.message)
        }
    }
    return selections
}
