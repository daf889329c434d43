import BridgeClient
import Foundation
import Glibc

/// Runs a command in this process's own process group, so that it shares the terminal: it can ask
/// for a password at the prompt. (Foundation's `Process` puts the child in a group of its own, in
/// the background of the terminal, where changing the echo stops it with SIGTTOU.)
enum ForegroundProcess {
    /// The child's exit status; 128 + the signal's number when a signal ended it, as shells say.
    static func run(_ executable: String, arguments: [String]) throws(BridgeError) -> Int32 {
        let strings = ([executable] + arguments).map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var pid = pid_t()
        let spawned = (strings + [nil]).withUnsafeBufferPointer { argv in
            posix_spawn(&pid, executable, nil, nil, argv.baseAddress!, environ)
        }
        guard spawned == 0 else {
            throw BridgeError(.failure, "cannot run \(executable): \(String(cString: strerror(spawned)).lowercased()) (\(spawned))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else {
                throw BridgeError(.failure, "cannot wait for \(executable) (pid \(pid)): \(String(cString: strerror(errno)).lowercased())")
            }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
