import MFPKit

/// A control request's setup packet, as usbredir carries it.
public struct USBSetup: Sendable, Equatable {
    public var requestType: UInt8
    public var request: UInt8
    public var value: UInt16
    public var index: UInt16
    public var length: UInt16

    public init(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: UInt16) {
        self.requestType = requestType
        self.request = request
        self.value = value
        self.index = index
        self.length = length
    }

    var isIn: Bool { requestType & 0x80 != 0 }
    var kind: UInt8 { (requestType >> 5) & 3 } // 0 standard, 1 class, 2 vendor
    var recipient: UInt8 { requestType & 0x1f } // 0 device, 1 interface, 2 endpoint
}

/// How the device answers one control request.
public enum USBControlAnswer: Sendable, Equatable {
    /// An IN request's data (cut to wLength by the caller), or an OUT request's success (empty).
    case data([UInt8])
    /// The request is not supported: the endpoint stalls, as USB devices answer the unknown.
    case stall
}

/// What the machine answers on endpoint 0: the standard requests usbredir passes through (QEMU
/// itself handles SET_ADDRESS, and sends SET_CONFIGURATION and SET_INTERFACE as their own
/// messages) and the printer class's GET_DEVICE_ID, GET_PORT_STATUS and SOFT_RESET. Pure: the
/// transport owns the endpoint state it is given.
public struct USBControlRequests: Sendable {
    public let descriptors: USBDescriptorSet
    public let deviceID: [UInt8]

    public init(profile: DeviceProfile) {
        descriptors = USBDescriptorSet(identity: profile.usb, firmwareVersion: profile.firmwareVersion)
        deviceID = PrinterDeviceID.bytes(for: profile)
    }

    /// Answers `setup`; `halted` holds the endpoints stalled by SET_FEATURE(ENDPOINT_HALT).
    /// `softReset` is called for the printer class's SOFT_RESET with the interface number.
    public func answer(_ setup: USBSetup, halted: inout Set<UInt8>, softReset: (UInt8) -> Void) -> USBControlAnswer {
        switch (setup.kind, setup.request) {
        case (0, 6) where setup.isIn: // GET_DESCRIPTOR
            guard let bytes = descriptors.descriptor(type: UInt8(setup.value >> 8), index: UInt8(setup.value & 0xff)) else {
                return .stall
            }
            return .data(Array(bytes.prefix(Int(setup.length))))
        case (0, 0) where setup.isIn: // GET_STATUS: self-powered device; a halted endpoint says so
            switch setup.recipient {
            case 0: return .data([1, 0])
            case 1: return .data([0, 0])
            case 2: return .data([halted.contains(UInt8(setup.index & 0xff)) ? 1 : 0, 0])
            default: return .stall
            }
        case (0, 1) where !setup.isIn: // CLEAR_FEATURE
            if setup.recipient == 2 && setup.value == 0 { halted.remove(UInt8(setup.index & 0xff)) }
            return .data([])
        case (0, 3) where !setup.isIn: // SET_FEATURE
            if setup.recipient == 2 && setup.value == 0 { halted.insert(UInt8(setup.index & 0xff)) }
            return .data([])
        case (1, _):
            return printerClass(setup, softReset: softReset)
        default:
            return .stall
        }
    }

    /// Printer class requests (USB printer class 1.1, section 4.2), to a printer interface only.
    /// The interface is wIndex's high byte for GET_DEVICE_ID (the alternate setting is the low
    /// byte), the low byte for the others.
    private func printerClass(_ setup: USBSetup, softReset: (UInt8) -> Void) -> USBControlAnswer {
        func isPrinter(_ number: UInt8) -> Bool {
            descriptors.identity.interfaces.contains { $0.number == number && $0.interfaceClass == 7 }
        }
        switch (setup.request, setup.isIn) {
        case (0, true): // GET_DEVICE_ID
            guard isPrinter(UInt8(setup.index >> 8)) else { return .stall }
            return .data(Array(deviceID.prefix(Int(setup.length))))
        case (1, true): // GET_PORT_STATUS: paper not empty, selected, no error
            guard isPrinter(UInt8(setup.index & 0xff)) else { return .stall }
            return .data([0x18])
        case (2, false): // SOFT_RESET
            let number = UInt8(setup.index & 0xff)
            guard isPrinter(number) else { return .stall }
            softReset(number)
            return .data([])
        default:
            return .stall
        }
    }
}
