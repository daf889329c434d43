import MFPKit

/// The USB descriptors a machine presents, built from its profile's USB identity: one
/// configuration with every interface of the profile (the vendor link, the printer, IPP over
/// USB), their bulk endpoints at 512 bytes (high speed), and the strings hosts show.
public struct USBDescriptorSet: Sendable, Equatable {
    public let identity: DeviceProfile.USBIdentity
    /// String descriptor texts by index (0, the language list, is answered separately).
    public let strings: [UInt8: String]
    public let device: [UInt8]
    public let qualifier: [UInt8]
    public let configuration: [UInt8]

    static let manufacturerIndex: UInt8 = 1
    static let productIndex: UInt8 = 2
    static let serialIndex: UInt8 = 3
    static let configurationIndex: UInt8 = 4
    static let bulkPacketSize: UInt16 = 512
    /// US English, the one language the strings are in.
    static let language: UInt16 = 0x0409

    public init(identity: DeviceProfile.USBIdentity, firmwareVersion: String) {
        self.identity = identity
        var strings: [UInt8: String] = [
            Self.manufacturerIndex: identity.manufacturer, Self.productIndex: identity.product,
            Self.serialIndex: identity.serial, Self.configurationIndex: "\(identity.product) (firmware \(firmwareVersion))",
        ]
        var body: [UInt8] = []
        for (offset, interface) in identity.interfaces.enumerated() {
            let stringIndex = UInt8(5 + offset)
            strings[stringIndex] = interface.purpose
            let endpoints = [interface.bulkIn, interface.bulkOut].compactMap { $0 }
            body += [
                9, 4, interface.number, 0, UInt8(endpoints.count), interface.interfaceClass, interface.subclass,
                interface.interfaceProtocol, stringIndex,
            ]
            for address in endpoints {
                body += [7, 5, address, 2] + Self.little(Self.bulkPacketSize) + [0]
            }
        }
        self.strings = strings
        // Self-powered (0xc0), 2 mA from the bus: a printer has its own supply.
        configuration =
            [9, 2] + Self.little(UInt16(9 + body.count))
            + [UInt8(identity.interfaces.count), 1, Self.configurationIndex, 0xc0, 1] + body
        device =
            [18, 1] + Self.little(0x0200) + [0, 0, 0, 64] + Self.little(identity.vendorID) + Self.little(identity.productID)
            + Self.little(0x0100) + [Self.manufacturerIndex, Self.productIndex, Self.serialIndex, 1]
        // What the device would be at full speed: the same single configuration.
        qualifier = [10, 6] + Self.little(0x0200) + [0, 0, 0, 64, 1, 0]
    }

    /// The descriptor GET_DESCRIPTOR asks for (type and index from wValue), or nil (a stall).
    public func descriptor(type: UInt8, index: UInt8) -> [UInt8]? {
        switch (type, index) {
        case (1, 0): return device
        case (2, 0): return configuration
        case (6, 0): return qualifier
        case (3, 0): return [4, 3] + Self.little(Self.language)
        case (3, _):
            guard let text = strings[index] else { return nil }
            let units = Array(text.utf16.prefix(126))
            return [UInt8(2 + 2 * units.count), 3] + units.flatMap { Self.little($0) }
        default: return nil
        }
    }

    /// The vendor link: the interface of class ff/ff/ff with a bulk pair.
    public var linkInterface: DeviceProfile.USBInterface? {
        identity.interfaces.first {
            ($0.interfaceClass, $0.subclass, $0.interfaceProtocol) == (0xff, 0xff, 0xff) && $0.bulkIn != nil && $0.bulkOut != nil
        }
    }

    /// The interface an endpoint address belongs to.
    public func interface(ofEndpoint address: UInt8) -> DeviceProfile.USBInterface? {
        identity.interfaces.first { $0.bulkIn == address || $0.bulkOut == address }
    }

    static func little(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
}
