import MFPKit

/// What a test rig or technician can tell the virtual machine to do (`mfpbridge emulate-ctl`,
/// scenario files). Parsed from words, so that the command line and scenario lines agree.
public enum ControlCommand: Sendable, Equatable {
    case jobStart(DeviceFunction)
    case jobFinish(id: String?) // nil: all
    case errorRaise(DeviceErrorCode)
    case errorClear
    case sleep
    case wake
    case shutdown
    case boot
    case syncRole(SyncRole)
    case syncState(SyncState)
    case syncPrepareExport
    case syncDestination(String?)
    /// R10: sets (the password) or clears (`nil`) the security-policy password.
    case policyPassword(String?)
    case adminPassword(String)
    case unlockLogins
    case noise(bytes: Int)
    case corrupt(writes: Int)
    case drop(writes: Int)
    /// The device carries out the next request of this operation but its answer is lost on the line.
    case loseAnswer(op: String)
    /// The device carries out the next request of this operation, then answers nothing at all
    /// (a frozen machine) until `thaw`.
    case freezeAfter(op: String)
    case thaw
    /// A slow line: bytes each way take as long as on a serial cable at this baud rate (nil: full speed).
    case lineSpeed(baud: Int?)
    /// The USB cable is pulled (the machine stays on) or plugged back in: needs a USB attachment
    /// (`emulate --usbredir`).
    case unplug
    case replug
    /// The machine loses power at once: the emulator process ends without saving anything on the
    /// way; what is on disk is what the machine has when it is started again.
    case powerCut
    case state
    case digests
    case boxSize(UInt64)

    public static let usage = """
        job start FUNCTION          start a job (prints its id); FUNCTION is one of:
                                    \(DeviceFunction.allCases.map(\.rawValue).joined(separator: ", "))
        job finish ID|all           finish one job or every job
        error raise CODE            display an error code such as E602-0001
        error clear                 clear the displayed error code
        sleep | wake                enter or leave sleep mode
        shutdown                    begin shutting down (boot brings the machine back)
        boot                        finish a shutdown: the machine restarts ready, with no jobs
        sync role none|client|server
        sync state stopped|running|pausing|paused
        sync prepare-export         "preparation for exporting user data" succeeded now (R11 a)
        sync destination HOST:PORT|none
        policy-password set|clear   set the security-policy password (read from standard input) or clear it (R10)
        admin-password              set the administrator's password (read from standard input)
        unlock-logins               end an R1 login lockout
        noise BYTES                 fault injection: send BYTES of garbage to the host before the next answer
        corrupt N                   fault injection: flip one bit in each of the next N stream writes to the host
        drop N                      fault injection: drop a run of bytes from each of the next N stream writes to the host
        lose-answer OP              fault injection: carry out the next OP request (e.g. import-commit) but lose its answer
        freeze-after OP             fault injection: carry out the next OP request, then answer nothing until thaw
        thaw                        a frozen machine answers again
        line-speed BAUD|off         carry bytes both ways no faster than a serial line at BAUD (10 bits a byte); off: full speed
        unplug | replug             pull the USB cable out or plug it back in (emulate --usbredir only)
        power-cut                   lose power now: the emulator ends at once, saving nothing on the way
        state                       print the device status as JSON
        box size BYTES              make the box documents generated content of BYTES (drops imported content)
        digests                     print each settings category's item count and SHA-256 digest as JSON
        """

    /// Parses the words of one command; `secret` is the new password for `admin-password`.
    public static func parse(_ words: [String], secret: String? = nil) throws(EmulatorError) -> ControlCommand {
        func fail(_ message: String) -> EmulatorError { EmulatorError("\(message)\nCommands:\n\(usage)") }
        func function(_ name: String) throws(EmulatorError) -> DeviceFunction {
            guard let function = DeviceFunction(rawValue: name) else {
                throw fail("unknown function '\(name)'")
            }
            return function
        }
        // Commands are one or two keywords, but for these single keywords that take an argument.
        let key =
            ["noise", "corrupt", "drop", "line-speed", "lose-answer", "freeze-after"].contains(words.first ?? "")
            ? words[0] : words.prefix(2).joined(separator: " ")
        let last = words.last ?? ""
        switch (key, words.count) {
        case ("job start", 3): return .jobStart(try function(last))
        case ("job finish", 3): return .jobFinish(id: last == "all" ? nil : last)
        case ("error raise", 3):
            guard let code = DeviceErrorCode(rawValue: last) else {
                throw fail("'\(last)' is not an error code: \(DeviceErrorCode.formatHelp)")
            }
            return .errorRaise(code)
        case ("error clear", 2): return .errorClear
        case ("sleep", 1): return .sleep
        case ("wake", 1): return .wake
        case ("shutdown", 1): return .shutdown
        case ("boot", 1): return .boot
        case ("sync role", 3):
            guard let role = SyncRole(rawValue: last) else { throw fail("unknown sync role '\(last)'") }
            return .syncRole(role)
        case ("sync state", 3):
            guard let state = SyncState(rawValue: last) else { throw fail("unknown sync state '\(last)'") }
            return .syncState(state)
        case ("sync prepare-export", 2): return .syncPrepareExport
        case ("sync destination", 3): return .syncDestination(last == "none" ? nil : last)
        case ("policy-password set", 2):
            guard let secret, !secret.isEmpty else { throw fail("policy-password set needs the password on standard input") }
            return .policyPassword(secret)
        case ("policy-password clear", 2): return .policyPassword(nil)
        case ("admin-password", 1):
            guard let secret, !secret.isEmpty else { throw fail("admin-password needs the new password on standard input") }
            return .adminPassword(secret)
        case ("unlock-logins", 1): return .unlockLogins
        case ("noise", 2):
            guard let bytes = Int(last), (1...1_000_000).contains(bytes) else { throw fail("noise takes a byte count from 1 to 1000000") }
            return .noise(bytes: bytes)
        case ("corrupt", 2), ("drop", 2):
            guard let writes = Int(last), (1...100_000).contains(writes) else {
                throw fail("\(words[0]) takes a count of writes from 1 to 100000")
            }
            return words[0] == "corrupt" ? .corrupt(writes: writes) : .drop(writes: writes)
        case ("lose-answer", 2):
            guard !last.isEmpty, last.allSatisfy({ $0.isLetter || $0 == "-" }) else {
                throw fail("lose-answer takes an operation such as import-commit")
            }
            return .loseAnswer(op: last)
        case ("freeze-after", 2):
            guard !last.isEmpty, last.allSatisfy({ $0.isLetter || $0 == "-" }) else {
                throw fail("freeze-after takes an operation such as box-import-commit")
            }
            return .freezeAfter(op: last)
        case ("thaw", 1): return .thaw
        case ("line-speed", 2):
            if last == "off" { return .lineSpeed(baud: nil) }
            guard let baud = Int(last), (300...100_000_000).contains(baud) else {
                throw fail("line-speed takes a baud rate from 300 to 100000000, or off")
            }
            return .lineSpeed(baud: baud)
        case ("unplug", 1): return .unplug
        case ("replug", 1): return .replug
        case ("power-cut", 1): return .powerCut
        case ("state", 1): return .state
        case ("digests", 1): return .digests
        case ("box size", 3):
            guard let bytes = UInt64(last), bytes <= 1 << 40 else { throw fail("box size takes a byte count") }
            return .boxSize(bytes)
        default: throw fail("unknown command '\(words.joined(separator: " "))'")
        }
    }
}
