import CLibUDev

/// One serial port the system knows about.
public struct SerialPortInfo: Sendable, Codable, Hashable {
    /// The device node, e.g. `/dev/ttyUSB0`.
    public var path: String
    /// The kernel driver of the port's parent device, e.g. `ftdi_sio`, `cdc_acm`, `serial8250`.
    public var driver: String?
    public var usbVendorID: UInt16?
    public var usbProductID: UInt16?
    public var serialNumber: String?
    public var product: String?

    public init(
        path: String, driver: String? = nil, usbVendorID: UInt16? = nil, usbProductID: UInt16? = nil,
        serialNumber: String? = nil, product: String? = nil
    ) {
        self.path = path
        self.driver = driver
        self.usbVendorID = usbVendorID
        self.usbProductID = usbProductID
        self.serialNumber = serialNumber
        self.product = product
    }
}

/// Lists serial ports through libudev.
public enum SerialPortScanner {
    /// The "tty" devices that have a parent device (built-in ports, USB serial adapters, CDC-ACM
    /// modems), with USB ids and strings from their USB device when there is one. Virtual
    /// terminals, ptys, and legacy 8250 ports with no UART behind them are left out. Returns `[]`
    /// when udev is not available (containers).
    public static func list() -> [SerialPortInfo] {
        guard let udev = udev_new() else { return [] }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(enumerate) }
        guard udev_enumerate_add_match_subsystem(enumerate, "tty") >= 0,
            udev_enumerate_scan_devices(enumerate) >= 0
        else { return [] }

        var ports: [SerialPortInfo] = []
        var entry = udev_enumerate_get_list_entry(enumerate) // owned by `enumerate`
        while let current = entry {
            entry = udev_list_entry_get_next(current)
            guard let syspath = udev_list_entry_get_name(current),
                let device = udev_device_new_from_syspath(udev, syspath)
            else { continue }
            defer { udev_device_unref(device) }
            if let port = portInfo(device) { ports.append(port) }
        }
        return ports.sorted { $0.path < $1.path }
    }

    /// `device` and every parent reached from it stay owned by the caller's reference.
    private static func portInfo(_ device: OpaquePointer) -> SerialPortInfo? {
        guard let node = string(udev_device_get_devnode(device)),
            let parent = udev_device_get_parent(device)
        else { return nil }
        let driver = string(udev_device_get_driver(parent))
        // 8250 ports exist for every possible UART; port type 0 (PORT_UNKNOWN) means none is there.
        if driver == "serial8250", sysattr(device, "type") == "0" { return nil }
        var info = SerialPortInfo(path: node, driver: driver)
        if let usb = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_device") {
            info.usbVendorID = sysattr(usb, "idVendor").flatMap { UInt16($0, radix: 16) }
            info.usbProductID = sysattr(usb, "idProduct").flatMap { UInt16($0, radix: 16) }
            info.serialNumber = sysattr(usb, "serial")
            info.product = sysattr(usb, "product")
        }
        return info
    }

    private static func sysattr(_ device: OpaquePointer, _ name: String) -> String? {
        string(udev_device_get_sysattr_value(device, name))?.trimmingWhitespace()
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

/// Parses serial addresses: `serial:/dev/ttyUSB0@9600`, or `serial:/dev/ttyS0` for 115200 baud.
public enum SerialAddress {
    public static let defaultBaudRate = 115200

    public static func parse(_ text: String) throws(LinkError) -> (path: String, baudRate: Int) {
        let prefix = "serial:"
        guard text.hasPrefix(prefix) else {
            throw LinkError(
                code: .invalidAddress,
                message: "\"\(text)\" is not a serial address: write serial:/dev/ttyUSB0 or serial:/dev/ttyUSB0@115200")
        }
        let body = text.dropFirst(prefix.count)
        var path = Substring(body)
        var baudRate = defaultBaudRate
        if let at = body.lastIndex(of: "@") {
            path = body[..<at]
            let rateText = body[body.index(after: at)...]
            guard !rateText.isEmpty, rateText.allSatisfy(\.isASCII), rateText.allSatisfy(\.isNumber),
                let rate = Int(rateText)
            else {
                throw LinkError(
                    code: .invalidAddress, message: "\"\(text)\": the baud rate after @ must be a number, e.g. serial:/dev/ttyUSB0@115200")
            }
            baudRate = rate
        }
        guard path.hasPrefix("/"), path.count > 1 else {
            throw LinkError(code: .invalidAddress, message: "\"\(text)\": the port must be an absolute path such as /dev/ttyUSB0")
        }
        _ = try SerialLink.speedConstant(for: baudRate) // .unsupportedBaudRate with the list
        return (String(path), baudRate)
    }
}
