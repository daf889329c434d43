import Foundation
import MFPEmulator
import MFPKit
import Testing

@testable import MFPUSBDevice

let profiles = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../firmware-fixtures/profiles").standardized.path

/// The descriptors and endpoint-0 answers of the emulated USB device, as a host kernel reads them
/// (the guest rig, scripts/hil-rig, checks the same through a real kernel and udev).
@Suite struct USBDescriptorTests {
    func load(_ name: String) throws -> DeviceProfile { try ProfileCatalog(directory: profiles).load(name) }

    @Test(
        "the device descriptor carries the profile's ids and string indexes; the configuration every interface",
        arguments: [
            "aurora-c5540", "aurora-c5560", "meridian-m3200",
        ])
    func descriptorsFollowTheProfile(name: String) throws {
        let profile = try load(name)
        let set = USBDescriptorSet(identity: profile.usb, firmwareVersion: profile.firmwareVersion)
        #expect(set.device.count == 18 && set.device[1] == 1)
        #expect(UInt16(set.device[8]) | UInt16(set.device[9]) << 8 == profile.usb.vendorID)
        #expect(UInt16(set.device[10]) | UInt16(set.device[11]) << 8 == profile.usb.productID)
        // wTotalLength is the whole configuration; bNumInterfaces every profile interface.
        #expect(Int(set.configuration[2]) | Int(set.configuration[3]) << 8 == set.configuration.count)
        #expect(Int(set.configuration[4]) == profile.usb.interfaces.count)
        // Walk the configuration: every interface with its class and both bulk endpoints.
        var offset = 9
        var seen: [(number: UInt8, cls: UInt8, endpoints: [UInt8])] = []
        while offset < set.configuration.count {
            let length = Int(set.configuration[offset])
            try #require(length > 0)
            switch set.configuration[offset + 1] {
            case 4: seen.append((set.configuration[offset + 2], set.configuration[offset + 5], []))
            case 5: seen[seen.count - 1].endpoints.append(set.configuration[offset + 2])
            default: Issue.record("unexpected descriptor type \(set.configuration[offset + 1])")
            }
            offset += length
        }
        #expect(offset == set.configuration.count)
        for (interface, found) in zip(profile.usb.interfaces, seen) {
            #expect(found.number == interface.number && found.cls == interface.interfaceClass)
            #expect(Set(found.endpoints) == Set([interface.bulkIn, interface.bulkOut].compactMap { $0 }))
        }
    }

    @Test("strings are UTF-16LE with the right length; serial and product read back; an unknown index stalls")
    func strings() throws {
        let profile = try load("aurora-c5540")
        let set = USBDescriptorSet(identity: profile.usb, firmwareVersion: profile.firmwareVersion)
        let serial = try #require(set.descriptor(type: 3, index: set.device[16]))
        #expect(Int(serial[0]) == serial.count && serial[1] == 3)
        let units = stride(from: 2, to: serial.count, by: 2).map { UInt16(serial[$0]) | UInt16(serial[$0 + 1]) << 8 }
        #expect(String(decoding: units, as: UTF16.self) == profile.usb.serial)
        #expect(set.descriptor(type: 3, index: 0) == [4, 3, 0x09, 0x04])
        #expect(set.descriptor(type: 3, index: 200) == nil)
        #expect(set.descriptor(type: 15, index: 0) == nil) // no BOS on a USB 2.0 device
    }

    @Test("GET_DEVICE_ID answers only on a printer interface, with its IEEE 1284 id; SOFT_RESET reaches it")
    func printerClass() throws {
        let profile = try load("aurora-c5540")
        let requests = USBControlRequests(profile: profile)
        let printer = try #require(profile.usb.interfaces.first { $0.interfaceClass == 7 })
        let vendor = try #require(profile.usb.interfaces.first { $0.interfaceClass == 0xff })
        var halted: Set<UInt8> = []
        let answer = requests.answer(
            USBSetup(requestType: 0xa1, request: 0, value: 0, index: UInt16(printer.number) << 8, length: 1024),
            halted: &halted, softReset: { _ in })
        guard case let .data(bytes) = answer else {
            Issue.record("GET_DEVICE_ID stalled on the printer interface")
            return
        }
        #expect(Int(bytes[0]) << 8 | Int(bytes[1]) == bytes.count)
        let text = String(decoding: bytes.dropFirst(2), as: UTF8.self)
        #expect(text.contains("MFG:\(profile.usb.manufacturer);") && text.contains("MDL:\(profile.usb.product);"))
        #expect(text.contains("CLS:PRINTER;") && text.contains("SN:\(profile.usb.serial);"))
        // Cut to wLength, as every IN control answer.
        let short = requests.answer(
            USBSetup(requestType: 0xa1, request: 0, value: 0, index: UInt16(printer.number) << 8, length: 2),
            halted: &halted, softReset: { _ in })
        #expect(short == .data(Array(bytes.prefix(2))))
        let onVendor = requests.answer(
            USBSetup(requestType: 0xa1, request: 0, value: 0, index: UInt16(vendor.number) << 8, length: 1024),
            halted: &halted, softReset: { _ in })
        #expect(onVendor == .stall)
        var reset: UInt8?
        _ = requests.answer(
            USBSetup(requestType: 0x21, request: 2, value: 0, index: UInt16(printer.number), length: 0),
            halted: &halted, softReset: { reset = $0 })
        #expect(reset == printer.number)
    }

    @Test("SET_FEATURE(ENDPOINT_HALT) halts, GET_STATUS says so, CLEAR_FEATURE clears; vendor requests stall")
    func haltAndUnknown() throws {
        let requests = USBControlRequests(profile: try load("meridian-m3200"))
        var halted: Set<UInt8> = []
        _ = requests.answer(USBSetup(requestType: 0x02, request: 3, value: 0, index: 0x81, length: 0), halted: &halted) { _ in }
        #expect(halted == [0x81])
        let status = requests.answer(USBSetup(requestType: 0x82, request: 0, value: 0, index: 0x81, length: 2), halted: &halted) { _ in }
        #expect(status == .data([1, 0]))
        _ = requests.answer(USBSetup(requestType: 0x02, request: 1, value: 0, index: 0x81, length: 0), halted: &halted) { _ in }
        #expect(halted.isEmpty)
        #expect(requests.answer(USBSetup(requestType: 0xc0, request: 1, value: 0, index: 0, length: 4), halted: &halted) { _ in } == .stall)
    }

    @Test("usbredir addresses: unix:PATH and tcp:HOST:PORT; anything else is refused with what to write")
    func addresses() throws {
        #expect(try USBRedirAddress(parsing: "unix:/run/x.sock") == .unix(path: "/run/x.sock"))
        #expect(try USBRedirAddress(parsing: "tcp:127.0.0.1:4000") == .tcp(host: "127.0.0.1", port: 4000))
        #expect(try USBRedirAddress(parsing: "tcp:localhost:4000") == .tcp(host: "localhost", port: 4000))
        for bad in ["/run/x.sock", "tcp:127.0.0.1", "tcp:127.0.0.1:0", "tcp:example.org:4000", "unix:"] {
            #expect(throws: EmulatorError.self, "\(bad)") { try USBRedirAddress(parsing: bad) }
        }
    }
}
