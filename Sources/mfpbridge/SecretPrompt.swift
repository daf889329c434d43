import BridgeSystem
import Foundation
import Glibc // termios flags and O_* constants only; the calls go through BridgeSystem

/// Reads a password from the controlling terminal with echo off; `nil` when there is none.
enum SecretPrompt {
    static func read(prompt: String) -> String? {
        guard let terminal = try? FileDescriptor(opening: "/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC) else { return nil }
        let fd = terminal.raw
        guard let saved = try? Syscall.tcgetattr(fd) else { return nil }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        try? Syscall.writeAll(fd, Array(prompt.utf8))
        guard (try? Syscall.tcsetattr(fd, silent, when: TCSAFLUSH)) != nil else { return nil }
        defer { _ = try? Syscall.tcsetattr(fd, saved, when: TCSAFLUSH) }
        var bytes: [UInt8] = []
        while let byte = try? Syscall.read(fd, maxBytes: 1), byte.count == 1, byte[0] != 0x0A {
            bytes += byte
        }
        _ = consume terminal // closed only now, after the settings are restored
        return String(decoding: bytes, as: UTF8.self)
    }
}
