import ArgumentParser

/// The options both ends of the raw copy take.
struct RawCopyOptions: ParsableArguments {
    @Option(help: "This end sends or receives.") var role: RawCopy.Role
    @Option(help: "Bytes to copy.", transform: nonNegative) var bytes: UInt64 = 0
    @Option(help: ArgumentHelp("The receiver's file, or the sender's source.", valueName: "path")) var file: String?

    func validate() throws {
        if role == .receive && file == nil { throw ValidationError("--role receive needs --file (where the bytes go)") }
    }

    var copy: RawCopy { RawCopy(role: role, size: bytes, file: file) }
}
