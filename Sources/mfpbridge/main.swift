import ArgumentParser
import BridgeClient
import Foundation

// Maps every failure to the documented exit codes (README, "Exit codes"); ArgumentParser's own
// usage errors become 2.
do {
    var command = try MFPBridge.parseAsRoot()
    try command.run()
} catch let error as BridgeError {
    Output.fail(error)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch {
    let code = MFPBridge.exitCode(for: error)
    if code == .success {
        MFPBridge.exit(withError: error)
    }
    FileHandle.standardError.write(Data((MFPBridge.fullMessage(for: error) + "\n").utf8))
    exit(code == .validationFailure ? ExitStatus.usage.rawValue : ExitStatus.failure.rawValue)
}
