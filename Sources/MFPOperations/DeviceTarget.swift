/// The machine an operation is for and how to log in to it (R1). The password itself is never
/// part of it: it is asked of a `PasswordSource` just before the machine is opened, so that a
/// prompt never holds the port, and it is never remembered.
public struct DeviceTarget: Codable, Sendable, Hashable {
    /// The address as the user gave it (`serial:...`, `unix:...`, `usb:...`, `emulated:PROFILE`).
    public var address: String
    /// Where the emulator's profiles are, for `emulated:` addresses (nil: the built-in search).
    public var profiles: String?
    public var user: String
    /// The administrator password file's path, when one was given (remembered for `resume`).
    public var passwordFile: String?

    public init(address: String, profiles: String? = nil, user: String = "Administrator", passwordFile: String? = nil) {
        self.address = address
        self.profiles = profiles
        self.user = user
        self.passwordFile = passwordFile
    }
}

/// Gives the administrator password when a connection is opened.
public typealias PasswordSource = @Sendable (_ target: DeviceTarget) throws -> String
