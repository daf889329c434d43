import ArgumentParser
import BridgeClient
import BridgeLink
import BridgeTransfer
import MFPEmulator

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List USB machines, serial ports and the emulators this bridge can reach.",
        discussion:
            "USB machines come from libusb and udev, matched by the allow-list (the mfpbridge vendor id, the device profiles, the quirks file; other devices are never opened); serial ports from udev (with USB vendor/product ids where known); emulators from running `mfpbridge emulate` processes and the built-in profiles."
    )

    @Option(name: .long, help: ArgumentHelp("Where the emulator's device profiles are.", valueName: "dir"))
    var profiles: String?

    @OptionGroup var output: OutputOptions

    struct Listing: Encodable {
        struct Port: Encodable {
            var address: String
            var path: String
            var driver: String?
            var usbVendorID: String?
            var usbProductID: String?
            var serialNumber: String?
            var product: String?
        }
        struct Emulator: Encodable {
            var address: String
            var profile: String
            var pid: Int32?
            var stateDirectory: String
        }
        struct USBDevice: Encodable {
            var address: String
            var busPath: String
            var vendorID: String
            var productID: String
            var serialNumber: String?
            var manufacturer: String?
            var model: String?
            var interfaces: [String]
            var linkInterface: Int
            var devnode: String
            var canOpen: Bool
            var matchedBy: String
        }
        var usbDevices: [USBDevice]
        var serialPorts: [Port]
        var emulators: [Emulator]
    }

    func run() throws {
        let dataDirectory = DataDirectory.path()
        let ports = SerialPortScanner.list().map { port in
            Listing.Port(
                address: "serial:\(port.path)", path: port.path, driver: port.driver,
                usbVendorID: port.usbVendorID.map { hex4($0) }, usbProductID: port.usbProductID.map { hex4($0) },
                serialNumber: port.serialNumber, product: port.product)
        }
        var emulators = EmulatorRegistry.list(dataDirectory: dataDirectory).map {
            Listing.Emulator(address: $0.address, profile: $0.profile, pid: $0.pid, stateDirectory: $0.stateDirectory)
        }
        if let catalog = try? ProfileCatalog.locate(explicit: profiles) {
            emulators += catalog.names().map {
                Listing.Emulator(
                    address: "emulated:\($0)", profile: $0, pid: nil,
                    stateDirectory: EmbeddedEmulator.stateDirectory(profile: $0, dataDirectory: dataDirectory))
            }
        }
        let allowList = USBAllowListLoader.load(profiles: profiles)
        for warning in allowList.warnings { Output.warn("warning: \(warning)") }
        let usbDevices = ((try? USBDeviceScanner.list(allowList: allowList)) ?? []).map { device in
            Listing.USBDevice(
                address: device.address, busPath: device.busPath, vendorID: hex4(device.vendorID), productID: hex4(device.productID),
                serialNumber: device.serial, manufacturer: device.manufacturer, model: device.model,
                interfaces: device.interfaces.map { "\($0.number):\($0.classTriple)" }, linkInterface: Int(device.linkInterface),
                devnode: device.devnode, canOpen: device.canOpen, matchedBy: device.matchedBy)
        }
        let listing = Listing(usbDevices: usbDevices, serialPorts: ports, emulators: emulators)
        if output.json {
            Output.json(listing)
            return
        }
        Output.line("USB machines:")
        if usbDevices.isEmpty { Output.line("  none found") }
        for device in usbDevices {
            Output.line(
                "  \(device.address)  \(device.vendorID):\(device.productID) \(device.model ?? "unknown model") at \(device.busPath) (\(device.devnode))"
            )
            Output.line(
                "    serial \(device.serialNumber ?? "none"), interfaces \(device.interfaces.joined(separator: " ")), link on interface \(device.linkInterface)"
                    + (device.canOpen ? "" : "; this user CANNOT open it: run `mfpbridge doctor`"))
        }
        Output.line("Serial ports:")
        if ports.isEmpty { Output.line("  none found") }
        for port in ports {
            var details = [port.driver].compactMap { $0 }
            if let vendor = port.usbVendorID, let product = port.usbProductID { details.append("usb \(vendor):\(product)") }
            if let name = port.product { details.append(name) }
            if let serial = port.serialNumber { details.append("serial \(serial)") }
            Output.line("  \(port.address)  \(details.joined(separator: ", "))")
        }
        Output.line("Emulators:")
        for emulator in emulators {
            let origin = emulator.pid.map { "running, pid \($0)" } ?? "built-in, started on demand"
            Output.line("  \(emulator.address)  profile \(emulator.profile) (\(origin))")
        }
    }

    private func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
