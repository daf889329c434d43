import ArgumentParser
import BridgeClient
import BridgeLink
import Foundation
import MFPEmulator

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print USB machines as they are plugged in and unplugged.",
        discussion: """
            Lists the machines present (`present`), then prints one line per arrival (`add`) or \
            departure (`remove`) of a USB device on the allow-list (the mfpbridge vendor id, the device \
            profiles and the quirks file), from udev events. Other USB devices are ignored and never \
            opened. With --json, one JSON object per line. Runs until interrupted, or until --count \
            events were printed.
            """)

    @Option(name: .long, help: ArgumentHelp("Where the device profiles are (for model names).", valueName: "dir"))
    var profiles: String?

    @Option(name: .long, help: ArgumentHelp("Stop after this many add/remove events.", valueName: "n"))
    var count: Int?

    @OptionGroup var output: OutputOptions

    struct Line: Encodable {
        var event: String
        var address: String
        var busPath: String
        var vendorID: String?
        var productID: String?
        var serialNumber: String?
        var model: String?
        var devnode: String?
    }

    func run() throws {
        let allowList = USBAllowListLoader.load(profiles: profiles)
        for warning in allowList.warnings { Output.warn("warning: \(warning)") }
        let monitor = try Self.openMonitor(allowList)
        for event in try Self.present(monitor) { print(event) }
        Output.warn("watching USB devices (Ctrl-C to stop)")
        var printed = 0
        while count.map({ printed < $0 }) ?? true {
            guard let event = try Self.next(monitor) else { continue }
            print(event)
            printed += 1
        }
    }

    private static func openMonitor(_ allowList: USBAllowList) throws(BridgeError) -> USBHotplugMonitor {
        do throws(LinkError) {
            return try USBHotplugMonitor(allowList: allowList)
        } catch {
            throw BridgeError(.unreachable, error.message)
        }
    }

    private static func present(_ monitor: USBHotplugMonitor) throws(BridgeError) -> [USBHotplugEvent] {
        do throws(LinkError) {
            return try monitor.present()
        } catch {
            throw BridgeError(.unreachable, error.message)
        }
    }

    private static func next(_ monitor: USBHotplugMonitor) throws(BridgeError) -> USBHotplugEvent? {
        do throws(LinkError) {
            return try monitor.next(timeout: .seconds(3600))
        } catch {
            throw BridgeError(.failure, error.message)
        }
    }

    private func print(_ event: USBHotplugEvent) {
        let line = Line(
            event: event.action.rawValue, address: event.address, busPath: event.busPath,
            vendorID: event.vendorID.map(USBAllowListLoader.hex4), productID: event.productID.map(USBAllowListLoader.hex4),
            serialNumber: event.serial, model: event.model, devnode: event.devnode)
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            Output.line(String(decoding: (try? encoder.encode(line)) ?? Data(), as: UTF8.self))
        } else {
            let ids = [line.vendorID, line.productID].compactMap { $0 }.joined(separator: ":")
            Output.line(
                "\(line.event)  \(line.address)  \(ids)  \(line.model ?? "")  at \(line.busPath)"
                    + (line.devnode.map { " (\($0))" } ?? ""))
        }
    }
}

/// The allow-list the commands use: built-in, the device profiles (exact ids, model names), and
/// the user's quirks file.
enum USBAllowListLoader {
    static func load(profiles: String?) -> USBAllowList {
        var list = USBAllowList.standard()
        var fromProfiles: [USBAllowList.Entry] = []
        if let catalog = try? ProfileCatalog.locate(explicit: profiles) {
            for name in catalog.names() {
                guard let profile = try? catalog.load(name) else { continue }
                for interface in profile.usb.interfaces
                where interface.interfaceClass == 0xFF && interface.bulkIn != nil && interface.bulkOut != nil {
                    fromProfiles.append(
                        USBAllowList.Entry(
                            vendorID: profile.usb.vendorID, productID: profile.usb.productID,
                            interfaceClass: interface.interfaceClass, subclass: interface.subclass,
                            interfaceProtocol: interface.interfaceProtocol, interfaceNumber: interface.number,
                            model: profile.model, source: "profile \(name)"))
                }
            }
        }
        // The user's quirks first, then the profiles' exact ids, then the vendor-wide entry.
        let builtIn = list.entries.firstIndex { $0.source == "built-in" } ?? list.entries.endIndex
        list.entries.insert(contentsOf: fromProfiles, at: builtIn)
        return list
    }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
