import BridgeClient
import BridgeSystem
import Foundation

/// Runs a command in this process's own process group, so that it shares the terminal: it can ask
/// for a password at the prompt. (Foundation's `Process` puts the child in a group of its own, in
/// the background of the terminal, where changing the echo stops it with SIGTTOU.)
enum ForegroundProcess {
    /// The child's exit status; 128 + the signal's number when a signal ended it, as shells say.
    static func run(_ executable: String, arguments: [String]) throws(BridgeError) -> Int32 {
        let pid: Int32
        do throws(SystemError) {
            pid = try Syscall.spawn(executable, arguments: arguments)
        } catch {
            throw BridgeError(.failure, "cannot run \(executable): \(error.reason.lowercased()) (\(error.errno))")
        }
        let status: Int32
        do throws(SystemError) {
            status = try Syscall.waitpid(pid)   // EINTR is retried there
        } catch {
            throw BridgeError(.failure, "cannot wait for \(executable) (pid \(pid)): \(error.reason.lowercased())")
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
