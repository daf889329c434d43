import BridgeSystem
import Foundation

/// Progress on standard error when it is a terminal: a percentage, redrawn in place.
struct Progress {
    let label: String
    let enabled = Syscall.isTerminal(STDERR_FILENO)

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        FileHandle.standardError.write(Data("\r\(label): \(percent)% (\(done) of \(total) bytes)".utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// R3: said before anything long starts.
    static func doNotPowerOff(_ what: String) {
        Output.warn("\(what): do not turn the machine off or pull the cable until it is complete (R3).")
    }
}
