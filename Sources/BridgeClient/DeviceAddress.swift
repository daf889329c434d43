import BridgeLink

/// Where a device is: `serial:/dev/ttyX[@BAUD]`, `unix:/path`, `emulated:PROFILE`,
/// `usb:VID:PID[:SERIAL]` or `usb:BUS-PORT`.
public enum DeviceAddress: Sendable, Equatable, CustomStringConvertible {
    case serial(path: String, baudRate: Int)
    case unix(path: String)
    case emulated(profile: String)
    case usb(USBSelector)

    public static let help = "serial:/dev/ttyUSB0[@115200], unix:/path/to/socket, emulated:PROFILE, usb:VID:PID[:SERIAL] or usb:BUS-PORT"

    public static func parse(_ text: String) throws(BridgeError) -> DeviceAddress {
        if text.hasPrefix("serial:") {
            do {
                let (path, baud) = try SerialAddress.parse(text)
                return .serial(path: path, baudRate: baud)
            } catch {
                throw BridgeError(.usage, error.message)
            }
        }
        if text.hasPrefix("unix:"), text.count > 5 {
            return .unix(path: String(text.dropFirst(5)))
        }
        if text.hasPrefix("emulated:"), text.count > 9 {
            return .emulated(profile: String(text.dropFirst(9)))
        }
        if text.hasPrefix("usb:") {
            do {
                return .usb(try USBSelector.parse(text))
            } catch {
                throw BridgeError(.usage, error.message)
            }
        }
        throw BridgeError(.usage, "'\(text)' is not a device address; use \(help)")
    }

    public var description: String {
        switch self {
        case let .serial(path, baud): "serial:\(path)@\(baud)"
        case let .unix(path): "unix:\(path)"
        case let .emulated(profile): "emulated:\(profile)"
        case let .usb(selector): selector.description
        }
    }

    /// Opens a link for the addresses that name one directly (`emulated:` is started by the caller).
    public func openLink() throws(BridgeError) -> any Link {
        do throws(LinkError) {
            switch self {
            case let .serial(path, baud): return try SerialLink.open(path: path, baudRate: baud)
            case let .unix(path): return try SocketLink.connect(path: path)
            case let .usb(selector): return try USBLink.open(address: selector.description)
            case .emulated: throw LinkError(code: .invalidAddress, message: "emulated addresses are started by the command, not opened")
            }
        } catch {
            switch error.code {
            case .ambiguous, .invalidAddress:
                // A usage error, never "unreachable": waiting would not make the address precise.
                throw BridgeError(.usage, "\(self): \(error.message)")
            case .notAllowed:
                throw BridgeError(.unreachable, error.message)
            default:
                throw BridgeError(.unreachable, "cannot open \(self): \(error.message)")
            }
        }
    }
}
