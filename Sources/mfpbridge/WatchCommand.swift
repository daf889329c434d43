import ArgumentParser
import BridgeClient
import BridgeLink
import BridgeSystem
import Foundation
import Glibc // pollfd and POLLIN only; the call goes through BridgeSystem
import MFPEmulator
import MFPMedia

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print USB machines and sticks as they are plugged in and unplugged.",
        discussion: """
            Lists the machines and USB memory media present (`present`), then prints one line per \
            arrival (`add`) or departure (`remove`) of a USB device on the allow-list (the mfpbridge \
            vendor id, the device profiles and the quirks file) or of a stick (a USB disk or one of its \
            partitions), from udev events. Other USB devices are ignored and never opened. With --json, \
            one JSON object per line, whose "kind" is "machine" or "stick" (a stick's line holds the \
            fields of `mfpbridge media --json` under "medium"). --no-media leaves sticks out. Runs until \
            interrupted, or until --count events were printed.
            """)

    @Option(name: .long, help: ArgumentHelp("Where the device profiles are (for model names).", valueName: "dir"))
    var profiles: String?

    @Option(name: .long, help: ArgumentHelp("Stop after this many add/remove events.", valueName: "n"))
    var count: Int?

    @Flag(name: .long, help: "Machines only: leave USB memory media (sticks) out.")
    var noMedia = false

    @OptionGroup var output: OutputOptions

    struct Line: Encodable {
        var kind = "machine"
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
        let media = noMedia ? nil : try Self.openMediaMonitor()
        for event in try Self.present(monitor) { print(event) }
        for event in media?.present() ?? [] { print(event) }
        Output.warn("watching USB devices (Ctrl-C to stop)")
        var printed = 0
        while count.map({ printed < $0 }) ?? true {
            // Both monitors' descriptors polled together: whichever has an event is read.
            var fds = [pollfd(fd: monitor.descriptor, events: Int16(POLLIN), revents: 0)]
            if let media { fds.append(pollfd(fd: media.descriptor, events: Int16(POLLIN), revents: 0)) }
            do throws(SystemError) {
                guard try Syscall.poll(&fds, timeoutMilliseconds: 3_600_000) > 0 else { continue }
            } catch  where error.errno == EINTR {
                continue
            } catch {
                throw BridgeError(.failure, "waiting for udev events failed: \(error)")
            }
            if fds[0].revents != 0, let event = try Self.next(monitor) {
                print(event)
                printed += 1
            }
            if let media, fds.count > 1, fds[1].revents != 0, count.map({ printed < $0 }) ?? true {
                do throws(MediaMonitor.Failure) {
                    if let event = try media.next(timeout: .zero) {
                        print(event)
                        printed += 1
                    }
                } catch {
                    throw BridgeError(.failure, error.description)
                }
            }
        }
    }

    private static func openMediaMonitor() throws(BridgeError) -> MediaMonitor {
        do throws(MediaMonitor.Failure) {
            return try MediaMonitor()
        } catch {
            throw BridgeError(.unreachable, error.description)
        }
    }

    struct StickLine: Encodable {
        var kind = "stick"
        var event: String
        var devnode: String
        var medium: RemovableMedium
    }

    private func print(_ event: MediaMonitor.Event) {
        let medium = event.medium
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let line = StickLine(event: event.action.rawValue, devnode: medium.devnode, medium: medium)
            Output.line(String(decoding: (try? encoder.encode(line)) ?? Data(), as: UTF8.self))
        } else {
            let facts = [medium.kind.rawValue, medium.fileSystem, medium.label.map { "label \($0)" }].compactMap { $0 }
            let name = [medium.vendor, medium.model].compactMap { $0 }.joined(separator: " ")
            Output.line(
                "\(event.action.rawValue)  stick \(medium.devnode)  \(facts.joined(separator: ", "))\(name.isEmpty ? "" : "  (\(name))")")
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
            return try monitor.next(timeout: .zero)
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
