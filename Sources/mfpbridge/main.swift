import ArgumentParser
import BridgeClient
import BridgeSystem
import BridgeTransfer
import Foundation

// Maps every failure to the documented exit codes (README, "Exit codes"); ArgumentParser's own
// usage errors become 2.
do {
    var command = try MFPBridge.parseAsRoot(MediaOptionValues.normalize(Array(CommandLine.arguments.dropFirst())))
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
    // A Foundation file error that reached here names its errno and file, not "NSCocoaErrorDomain error N".
    if let code = FileSystemError.errno(of: error) {
        let file = ((error as NSError).userInfo[NSFilePathErrorKey] as? String).map { "\($0): " } ?? ""
        Output.warn("error: \(file)\(SystemError.reason(code).lowercased()) (\(FileSystemError.symbol(code)))")
        exit(ExitStatus.failure.rawValue)
    }
    FileHandle.standardError.write(Data((MFPBridge.fullMessage(for: error) + "\n").utf8))
    exit(code == .validationFailure ? ExitStatus.usage.rawValue : ExitStatus.failure.rawValue)
}
