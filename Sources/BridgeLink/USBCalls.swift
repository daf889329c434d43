import CLibUSB

// The one thin layer between BridgeLink and libusb, like BridgeSystem's `Syscall` for libc: every call
// returns its value or throws a typed `USBCallError` (the call's name and the LIBUSB_ERROR_*
// code) at once. LIBUSB_ERROR_INVALID_PARAM is a bug in BridgeLink and stops the program.

/// A failed libusb call: which call, and the negative `LIBUSB_ERROR_*` code it returned.
struct USBCallError: Error, Sendable, CustomStringConvertible {
    var call: String
    var code: Int32

    /// `LIBUSB_ERROR_ACCESS`, ...
    var name: String { String(cString: libusb_error_name(code)) }
    var description: String { "\(call): \(name)" }

    var isNoDevice: Bool { code == LIBUSB_ERROR_NO_DEVICE.rawValue }
}

enum USBCall {
    /// `result` when it is not negative, else a `USBCallError`.
    @inline(__always)
    static func check(_ call: String, _ result: Int32) throws(USBCallError) -> Int32 {
        if result >= 0 { return result }
        precondition(result != LIBUSB_ERROR_INVALID_PARAM.rawValue, "\(call) was passed an invalid parameter: a bug in BridgeLink")
        throw USBCallError(call: call, code: result)
    }

    /// The version of the libusb the program runs with, e.g. "1.0.26".
    static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, micro: UInt32 = 0
        mfpb_libusb_version(&major, &minor, &micro)
        return "\(major).\(minor).\(micro)"
    }

    static func initContext() throws(USBCallError) -> OpaquePointer {
        var context: OpaquePointer?
        _ = try check("libusb_init", libusb_init(&context))
        guard let context else { throw USBCallError(call: "libusb_init", code: LIBUSB_ERROR_OTHER.rawValue) }
        return context
    }

    /// Runs `body` with the devices libusb knows (cached descriptors; nothing is opened), and frees
    /// the list whatever `body` does. Devices that `body` keeps must be referenced with
    /// `libusb_ref_device`.
    static func withDeviceList<T>(
        _ context: OpaquePointer, _ body: ([OpaquePointer]) throws(LinkError) -> T
    ) throws(LinkError) -> T {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        defer { if let list { libusb_free_device_list(list, 1) } }
        if count < 0 {
            throw LinkError(usb: USBCallError(call: "libusb_get_device_list", code: Int32(count)), address: "usb")
        }
        var devices: [OpaquePointer] = []
        devices.reserveCapacity(count)
        for index in 0..<count {
            if let device = list?[index] { devices.append(device) }
        }
        return try body(devices)
    }

    /// The device descriptor libusb cached at enumeration (no I/O to the device).
    static func deviceDescriptor(_ device: OpaquePointer) throws(USBCallError) -> libusb_device_descriptor {
        var descriptor = libusb_device_descriptor()
        _ = try check("libusb_get_device_descriptor", libusb_get_device_descriptor(device, &descriptor))
        return descriptor
    }

    /// The interfaces of the device's active (else first) configuration, from cached descriptors.
    static func interfaces(_ device: OpaquePointer) throws(USBCallError) -> [USBInterfaceDescriptor] {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        var result = libusb_get_active_config_descriptor(device, &config)
        if result == LIBUSB_ERROR_NOT_FOUND.rawValue { // unconfigured: describe configuration 0
            result = libusb_get_config_descriptor(device, 0, &config)
        }
        _ = try check("libusb_get_config_descriptor", result)
        guard let config else { return [] }
        defer { libusb_free_config_descriptor(config) }
        var interfaces: [USBInterfaceDescriptor] = []
        for index in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[index]
            guard interface.num_altsetting > 0 else { continue }
            let alt = interface.altsetting[0]
            var endpoints: [USBEndpointDescriptor] = []
            for e in 0..<Int(alt.bNumEndpoints) {
                let endpoint = alt.endpoint[e]
                endpoints.append(
                    USBEndpointDescriptor(
                        address: endpoint.bEndpointAddress, attributes: endpoint.bmAttributes,
                        maxPacketSize: endpoint.wMaxPacketSize))
            }
            interfaces.append(
                USBInterfaceDescriptor(
                    number: alt.bInterfaceNumber, interfaceClass: alt.bInterfaceClass,
                    subclass: alt.bInterfaceSubClass, interfaceProtocol: alt.bInterfaceProtocol,
                    endpoints: endpoints))
        }
        return interfaces
    }

    /// "BUS-PORT[.PORT...]", the name of the device in /sys/bus/usb/devices.
    static func portPath(_ device: OpaquePointer) -> String {
        var ports = [UInt8](repeating: 0, count: 8)
        let count = ports.withUnsafeMutableBufferPointer { libusb_get_port_numbers(device, $0.baseAddress, Int32($0.count)) }
        let bus = libusb_get_bus_number(device)
        guard count > 0 else { return "\(bus)-0" } // a root hub has no port
        return "\(bus)-" + ports.prefix(Int(count)).map(String.init).joined(separator: ".")
    }

    static func open(_ device: OpaquePointer) throws(USBCallError) -> OpaquePointer {
        var handle: OpaquePointer?
        _ = try check("libusb_open", libusb_open(device, &handle))
        guard let handle else { throw USBCallError(call: "libusb_open", code: LIBUSB_ERROR_OTHER.rawValue) }
        return handle
    }

    /// True when a kernel driver holds `interface` (LIBUSB_ERROR_NOT_SUPPORTED counts as false).
    static func kernelDriverActive(_ handle: OpaquePointer, _ interface: UInt8) throws(USBCallError) -> Bool {
        let result = libusb_kernel_driver_active(handle, Int32(interface))
        if result == LIBUSB_ERROR_NOT_SUPPORTED.rawValue { return false }
        return try check("libusb_kernel_driver_active", result) == 1
    }

    static func detachKernelDriver(_ handle: OpaquePointer, _ interface: UInt8) throws(USBCallError) {
        _ = try check("libusb_detach_kernel_driver", libusb_detach_kernel_driver(handle, Int32(interface)))
    }

    static func attachKernelDriver(_ handle: OpaquePointer, _ interface: UInt8) throws(USBCallError) {
        _ = try check("libusb_attach_kernel_driver", libusb_attach_kernel_driver(handle, Int32(interface)))
    }

    static func claim(_ handle: OpaquePointer, _ interface: UInt8) throws(USBCallError) {
        _ = try check("libusb_claim_interface", libusb_claim_interface(handle, Int32(interface)))
    }

    static func release(_ handle: OpaquePointer, _ interface: UInt8) throws(USBCallError) {
        _ = try check("libusb_release_interface", libusb_release_interface(handle, Int32(interface)))
    }

    static func clearHalt(_ handle: OpaquePointer, _ endpoint: UInt8) throws(USBCallError) {
        _ = try check("libusb_clear_halt", libusb_clear_halt(handle, endpoint))
    }

    static func reset(_ handle: OpaquePointer) throws(USBCallError) {
        _ = try check("libusb_reset_device", libusb_reset_device(handle))
    }

    static func allocTransfer() throws(USBCallError) -> UnsafeMutablePointer<libusb_transfer> {
        guard let transfer = libusb_alloc_transfer(0) else {
            throw USBCallError(call: "libusb_alloc_transfer", code: LIBUSB_ERROR_NO_MEM.rawValue)
        }
        return transfer
    }

    static func submitBulk(
        _ transfer: UnsafeMutablePointer<libusb_transfer>, handle: OpaquePointer, endpoint: UInt8,
        buffer: UnsafeMutablePointer<UInt8>, length: Int, timeoutMilliseconds: UInt32,
        callback: libusb_transfer_cb_fn, userData: UnsafeMutableRawPointer
    ) throws(USBCallError) {
        _ = try check(
            "libusb_submit_transfer",
            mfpb_libusb_submit_bulk(
                transfer, handle, endpoint, buffer, Int32(length), callback, userData, timeoutMilliseconds))
    }

    /// Cancelling a transfer that already completed (LIBUSB_ERROR_NOT_FOUND) is not an error.
    static func cancel(_ transfer: UnsafeMutablePointer<libusb_transfer>) {
        _ = libusb_cancel_transfer(transfer)
    }

    /// One turn of libusb's event loop: waits up to `milliseconds` for completions and runs their
    /// callbacks on this thread.
    static func handleEvents(_ context: OpaquePointer, milliseconds: Int) -> Int32 {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        return libusb_handle_events_timeout_completed(context, &timeout, nil)
    }
}

/// One interface of a configuration (alternate setting 0), copied out of libusb's descriptors.
public struct USBInterfaceDescriptor: Sendable, Hashable, Codable {
    public var number: UInt8
    public var interfaceClass: UInt8
    public var subclass: UInt8
    public var interfaceProtocol: UInt8
    public var endpoints: [USBEndpointDescriptor]

    /// "ff/ff/ff"
    public var classTriple: String {
        [interfaceClass, subclass, interfaceProtocol].map { hex2($0) }.joined(separator: "/")
    }

    /// The first bulk IN and bulk OUT endpoints, if the interface has both.
    public var bulkPair: (input: USBEndpointDescriptor, output: USBEndpointDescriptor)? {
        let bulk = endpoints.filter { $0.isBulk }
        guard let input = bulk.first(where: { $0.isInput }), let output = bulk.first(where: { !$0.isInput }) else { return nil }
        return (input, output)
    }
}

public struct USBEndpointDescriptor: Sendable, Hashable, Codable {
    public var address: UInt8
    public var attributes: UInt8
    public var maxPacketSize: UInt16

    public var isInput: Bool { address & 0x80 != 0 }
    public var isBulk: Bool { attributes & 0x03 == 2 }
}

func hex2(_ value: UInt8) -> String {
    let digits = String(value, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
}

func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 4 - digits.count) + digits
}

extension LinkError {
    /// The translation of a failed libusb call on the device at `address`: what happened and what
    /// to do. `during` says what the bridge was doing ("opening", "a transfer").
    init(usb failure: USBCallError, address: String, during: String? = nil) {
        let doing = during.map { " while \($0)" } ?? ""
        let tag = " [\(failure.call): \(failure.name)]"
        switch failure.code {
        case LIBUSB_ERROR_ACCESS.rawValue:
            self.init(
                code: .permissionDenied,
                message:
                    "permission denied on \(address)\(doing): the udev rule /etc/udev/rules.d/70-mfpbridge.rules is missing "
                    + "or does not cover this device; install udev/70-mfpbridge.rules (README, \"USB\"), add the device's ids "
                    + "to it if they are in your quirks file, then unplug and replug; `mfpbridge doctor` checks it" + tag)
        case LIBUSB_ERROR_NO_DEVICE.rawValue:
            self.init(
                code: .vanished,
                message:
                    "the USB device \(address) was unplugged or powered off\(doing): plug it back in and retry; "
                    + "the transfer is resumable" + tag)
        case LIBUSB_ERROR_NOT_FOUND.rawValue:
            self.init(
                code: .notFound,
                message:
                    "\(address): the device or its interface is gone\(doing); `mfpbridge devices` lists USB devices" + tag)
        case LIBUSB_ERROR_BUSY.rawValue:
            self.init(
                code: .busy,
                message:
                    "\(address): the interface is in use by another program (ipp-usb, a printer driver, another mfpbridge)\(doing): "
                    + "stop it and retry" + tag)
        case LIBUSB_ERROR_TIMEOUT.rawValue:
            self.init(code: .timeout, message: "\(address) did not answer in time\(doing)" + tag)
        case LIBUSB_ERROR_PIPE.rawValue:
            self.init(
                code: .io,
                message:
                    "\(address): the endpoint stalled\(doing) and could not be recovered: unplug and replug the device" + tag)
        case LIBUSB_ERROR_OVERFLOW.rawValue:
            self.init(code: .io, message: "\(address): the device sent more data than asked for\(doing)" + tag)
        case LIBUSB_ERROR_NO_MEM.rawValue:
            self.init(code: .io, message: "out of memory\(doing) on \(address)" + tag)
        case LIBUSB_ERROR_NOT_SUPPORTED.rawValue:
            self.init(code: .io, message: "\(address): not supported by this system's USB stack\(doing)" + tag)
        default:
            self.init(code: .io, message: "USB input/output error on \(address)\(doing)" + tag)
        }
    }
}

/// Versions of the USB libraries this program runs with (for `mfpbridge doctor`).
public enum USBEnvironment {
    /// e.g. "1.0.26"
    public static var libusbVersion: String { USBCall.version }
    /// e.g. "1.7.5" (from the library's file name; libudev has no version call), nil if unknown.
    public static var libudevVersion: String? { UDevVersion.current() }

    /// nil when libusb starts, else why it does not.
    public static func libusbProblem() -> String? {
        do throws(LinkError) {
            _ = try USBContext()
            return nil
        } catch {
            return error.message
        }
    }
}
