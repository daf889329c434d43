import BridgeSystem
import CLibUSB
import Glibc // R_OK and W_OK only; the calls go through BridgeSystem

/// One USB device of the allow-list, as discovery sees it (nothing was opened to learn this).
public struct USBDeviceInfo: Sendable, Hashable, Codable {
    /// "BUS-PORT[.PORT...]", the device's place on the bus (its sysfs name).
    public var busPath: String
    public var bus: UInt8
    public var deviceAddress: UInt8
    public var vendorID: UInt16
    public var productID: UInt16
    public var serial: String?
    public var manufacturer: String?
    public var product: String?
    /// The model name from the allow-list (profile or quirks file), else the product string.
    public var model: String?
    public var interfaces: [USBInterfaceDescriptor]
    /// The interface that carries the wire protocol.
    public var linkInterface: UInt8
    /// /dev/bus/usb/BBB/DDD
    public var devnode: String
    /// Whether this user may open the device node for reading and writing.
    public var canOpen: Bool
    /// Where the allow-list entry that admitted the device comes from.
    public var matchedBy: String

    /// The most precise address: `usb:VID:PID:SERIAL` when the device has a serial number,
    /// `usb:BUS-PORT` otherwise.
    public var address: String {
        if let serial, !serial.isEmpty, !serial.contains(":") { return "usb:\(idPair):\(serial)" }
        return "usb:\(busPath)"
    }

    /// "3a5c:0c55"
    public var idPair: String { "\(hex4(vendorID)):\(hex4(productID))" }
}

/// Which device a `usb:` address names.
public enum USBSelector: Sendable, Hashable, CustomStringConvertible {
    /// `usb:VID:PID` or `usb:VID:PID:SERIAL` (ids in hex).
    case ids(vendorID: UInt16, productID: UInt16, serial: String?)
    /// `usb:BUS-PORT[.PORT...]`, e.g. `usb:1-4.2`.
    case port(String)

    public static let help = "usb:VID:PID, usb:VID:PID:SERIAL or usb:BUS-PORT (e.g. usb:3a5c:0c55, usb:1-4.2)"

    public static func parse(_ text: String) throws(LinkError) -> USBSelector {
        guard text.hasPrefix("usb:") else {
            throw LinkError(code: .invalidAddress, message: "\"\(text)\" is not a USB address: write \(help)")
        }
        let body = String(text.dropFirst(4))
        let parts = body.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 {
            let pieces = body.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let isNumber = { (s: Substring) in !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }
            guard pieces.count == 2, isNumber(pieces[0]),
                pieces[1].split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isNumber)
            else {
                throw LinkError(code: .invalidAddress, message: "\"\(text)\": write \(help)")
            }
            return .port(body)
        }
        func id(_ digits: String) throws(LinkError) -> UInt16 {
            guard (1...4).contains(digits.count), let value = UInt16(digits, radix: 16) else {
                throw LinkError(code: .invalidAddress, message: "\"\(text)\": \"\(digits)\" is not a 4-digit hex id; write \(help)")
            }
            return value
        }
        let vendor = try id(parts[0])
        let product = try id(parts[1])
        var serial: String?
        if parts.count == 3 {
            guard !parts[2].isEmpty else {
                throw LinkError(code: .invalidAddress, message: "\"\(text)\": the serial number after the ids is empty")
            }
            serial = parts[2]
        }
        return .ids(vendorID: vendor, productID: product, serial: serial)
    }

    public var description: String {
        switch self {
        case let .ids(vendor, product, serial):
            "usb:\(hex4(vendor)):\(hex4(product))" + (serial.map { ":\($0)" } ?? "")
        case let .port(path): "usb:\(path)"
        }
    }

    func selects(_ device: USBDeviceInfo) -> Bool {
        switch self {
        case let .ids(vendor, product, serial):
            device.vendorID == vendor && device.productID == product && (serial == nil || device.serial == serial)
        case let .port(path): device.busPath == path
        }
    }
}

/// Lists the USB devices of an allow-list with libusb (descriptors the kernel cached: no device is
/// opened) and libudev (serial number and strings from sysfs). A device whose ids are not on the
/// list is skipped after reading its ids: its configuration is not even looked at.
public enum USBDeviceScanner {
    /// The allowed devices present now, sorted by bus path. Throws only when libusb cannot start.
    public static func list(allowList: USBAllowList) throws(LinkError) -> [USBDeviceInfo] {
        let context = try USBContext()
        return try list(in: context, allowList: allowList).map(\.info)
    }

    /// The allowed devices, each with its libusb device referenced (the caller unrefs each).
    static func list(in context: USBContext, allowList: USBAllowList) throws(LinkError) -> [(info: USBDeviceInfo, device: OpaquePointer)] {
        let udev = UDevContext()
        return try USBCall.withDeviceList(context.raw) { devices in
            var found: [(info: USBDeviceInfo, device: OpaquePointer)] = []
            for device in devices {
                guard let descriptor = try? USBCall.deviceDescriptor(device),
                    allowList.admits(vendorID: descriptor.idVendor, productID: descriptor.idProduct),
                    let interfaces = try? USBCall.interfaces(device),
                    let (entry, interface) = allowList.match(
                        vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                        interfaces: interfaces)
                else { continue }
                let busPath = USBCall.portPath(device)
                let bus = libusb_get_bus_number(device)
                let number = libusb_get_device_address(device)
                let node = "/dev/bus/usb/" + pad3(bus) + "/" + pad3(number)
                let snapshot = udev?.usbDevice(sysname: busPath)
                let product = snapshot?.attributes["product"]
                let info = USBDeviceInfo(
                    busPath: busPath, bus: bus, deviceAddress: number,
                    vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                    serial: snapshot?.serial, manufacturer: snapshot?.attributes["manufacturer"], product: product,
                    model: allowList.model(vendorID: descriptor.idVendor, productID: descriptor.idProduct) ?? product,
                    interfaces: interfaces, linkInterface: interface.number,
                    devnode: snapshot?.devnode ?? node, canOpen: (try? Syscall.access(snapshot?.devnode ?? node, R_OK | W_OK)) != nil,
                    matchedBy: entry.source)
                found.append((info, libusb_ref_device(device)))
            }
            return found.sorted { $0.info.busPath < $1.info.busPath }
        }
    }

    /// Every USB device present, allowed or not, as ids and bus path only (the descriptor the
    /// kernel cached; nothing is opened): to tell "not plugged in" from "not on the allow-list".
    static func presentIDs(in context: USBContext) -> [(vendorID: UInt16, productID: UInt16, busPath: String)] {
        (try? USBCall.withDeviceList(context.raw) { devices in
            devices.compactMap { device in
                guard let descriptor = try? USBCall.deviceDescriptor(device) else { return nil }
                return (descriptor.idVendor, descriptor.idProduct, USBCall.portPath(device))
            }
        }) ?? []
    }

    private static func pad3(_ value: UInt8) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 3 - digits.count) + digits
    }
}
