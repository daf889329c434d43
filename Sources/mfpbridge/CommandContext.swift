import BridgeClient
import BridgeSystem
import Foundation
import MFPOperations

/// What the commands hand the operations library: the machine and login from the options, the
/// password from a file, the environment or a prompt, and events printed on standard error.
enum CommandContext {
    static func make(
        _ output: OutputOptions, label: String, reconnect: ReconnectPolicy = .never,
        passwordOption: String = "--admin-password-file"
    ) -> OperationContext {
        OperationContext(
            password: password(option: passwordOption), events: events(), logger: output.makeLogger("mfpbridge.\(label)"),
            reconnect: reconnect)
    }

    /// The administrator password (R1): the target's password file, MFPBRIDGE_PASSWORD, or a prompt.
    static func password(option: String) -> PasswordSource {
        { target in
            try Secret.read(
                file: target.passwordFile, environment: "MFPBRIDGE_PASSWORD", prompt: "Administrator password for \(target.user): ",
                missing: "no administrator password: give \(option) FILE, set MFPBRIDGE_PASSWORD, or run on a terminal to be asked")
        }
    }

    /// Events for a person: the R3 notice, progress on a terminal, waiting and notices.
    static func events() -> OperationEvents {
        { event in
            switch event {
            case let .doNotPowerOff(what): Progress.doNotPowerOff(what)
            case let .progress(label, done, total): Progress(label: label).update(done, total)
            case let .waiting(message), let .notice(message): Output.warn(message)
            }
        }
    }
}

extension DeviceOptions {
    /// The machine and login of a command.
    func target(user: String, passwordFile: String?) -> DeviceTarget {
        DeviceTarget(
            address: device, profiles: profiles.map(OperationLog.absolute), user: user,
            passwordFile: Self.rememberable(passwordFile))
    }

    /// A password file's absolute path, kept for `resume`; a pipe such as `<(...)` is gone by then
    /// and is not kept (the rerun asks instead). Read now all the same.
    static func rememberable(_ file: String?) -> String? {
        guard let file else { return nil }
        guard let info = try? Syscall.stat(file), info.st_mode & S_IFMT == S_IFREG else { return file }
        return OperationLog.absolute(file)
    }
}

extension DeviceOptions {
    /// The command line `resume --list` shows for an operation (never a password).
    func rerunArguments(_ operation: String, _ arguments: [String], user: String, passwordFile: String?) -> [String] {
        [operation, "--device", device] + arguments + ["--user", user] + (profiles.map { ["--profiles", OperationLog.absolute($0)] } ?? [])
            + (Self.rememberable(passwordFile).map { ["--admin-password-file", $0] } ?? [])
    }
}

extension WaitOptions {
    var policy: ReconnectPolicy { ReconnectPolicy(wait: wait, timeout: TimeInterval(waitTimeout)) }
}
