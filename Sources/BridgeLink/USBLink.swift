import BridgeSystem
import BridgeWire
import CLibUSB

/// A link over the bulk endpoints of an MFP's vendor interface (framing `.raw`: frames back to
/// back, as on sockets).
///
/// Reads: `readDepth` IN transfers stay submitted at all times, so the bus never idles while the
/// host digests a buffer; their data is queued for `receive`. Writes: `send` cuts the bytes into
/// transfers of `writeChunk` and keeps up to `writeDepth` of them in flight; a write whose length
/// is a multiple of the OUT endpoint's wMaxPacketSize is followed by a zero-length packet, so the
/// device sees where it ends. A stalled endpoint is cleared (clear-halt), then the interface is
/// released and claimed again, then the device is reset, before the link gives up.
///
/// Errors: NO_DEVICE during a transfer is ``LinkError/Code/vanished`` (unplugged: resumable);
/// LIBUSB_ERROR_ACCESS at open is ``LinkError/Code/permissionDenied`` naming the udev rule.
public final class USBLink: Link {
    public let address: String
    public var framing: Framing { .raw }
    /// What discovery knew about the device when it was opened.
    public let device: USBDeviceInfo
    let engine: USBTransferEngine

    init(address: String, device: USBDeviceInfo, engine: USBTransferEngine) {
        self.address = address
        self.device = device
        self.engine = engine
    }

    /// Tuning and limits of one link.
    public struct Options: Sendable {
        /// IN transfers kept submitted.
        public var readDepth = 4
        /// Size of each IN transfer (rounded up to a multiple of wMaxPacketSize).
        public var readSize = 256 * 1024
        /// OUT transfers in flight during a `send`.
        public var writeDepth = 4
        public var writeChunk = 256 * 1024
        /// If the device accepts no data for this long, `send` throws `.timeout`.
        public var sendTimeout: Duration = .seconds(10)
        /// Received bytes held for `receive` before reads pause (flow control towards the device).
        public var receiveBufferLimit = 4 * 1024 * 1024

        public init() {}
    }

    /// Opens the allow-listed device that `address` (`usb:...`) names and claims its vendor
    /// interface. Devices not on `allowList` are never opened.
    public static func open(
        address text: String, allowList: USBAllowList = .standard(),
        options: Options = Options()
    ) throws(LinkError) -> USBLink {
        let selector = try USBSelector.parse(text)
        let context = try USBContext()
        let candidates = try USBDeviceScanner.list(in: context, allowList: allowList)
        defer { for candidate in candidates { libusb_unref_device(candidate.device) } }
        let chosen = candidates.filter { selector.selects($0.info) }
        guard let (info, device) = chosen.first else {
            // Present but not allowed is another problem than absent: say which.
            let unlisted = USBDeviceScanner.presentIDs(in: context).filter { present in
                switch selector {
                case let .ids(vendor, product, _): present.vendorID == vendor && present.productID == product
                case let .port(path): present.busPath == path
                }
            }.filter { present in !candidates.contains { $0.info.busPath == present.busPath } }
            if let other = unlisted.first {
                throw LinkError(
                    code: .notAllowed,
                    message:
                        "a USB device \(hex4(other.vendorID)):\(hex4(other.productID)) is plugged in at \(other.busPath), but it is not on "
                        + "mfpbridge's allow-list, so it was not opened: if it is an MFP that speaks this protocol, add its ids to "
                        + "\(USBAllowList.quirksPath()) (see `mfpbridge doctor`); otherwise check the address")
            }
            let present = candidates.map { "\($0.info.address) (\($0.info.idPair) at \($0.info.busPath))" }
            var message = "no mfpbridge USB device matches \(selector)"
            message += present.isEmpty ? ": is it plugged in and powered on?" : "; present: \(present.joined(separator: ", "))"
            message +=
                " (devices are matched by the allow-list: add other ids to \(USBAllowList.quirksPath()); `mfpbridge devices` lists them)"
            throw LinkError(code: .notFound, message: message)
        }
        guard chosen.count == 1 else {
            throw LinkError(
                code: .ambiguous,
                message:
                    "\(selector) names \(chosen.count) devices (\(chosen.map(\.info.address).joined(separator: ", "))): "
                    + "add the serial number (usb:VID:PID:SERIAL) or use the bus path (usb:BUS-PORT)")
        }
        let address = selector.description
        let engine = try USBTransferEngine.open(
            device: device, info: info, context: context,
            address: address, options: options)
        return USBLink(address: address, device: info, engine: engine)
    }

    public func send(_ bytes: [UInt8]) throws(LinkError) {
        try engine.send(bytes)
    }

    public func receive(maxBytes: Int, timeout: Duration) throws(LinkError) -> [UInt8] {
        try engine.receive(maxBytes: maxBytes, timeout: timeout)
    }

    public func close() {
        engine.close()
    }

    deinit {
        engine.close()
    }

    /// Counters for tests and the benchmark.
    public var statistics: USBLinkStatistics { engine.statistics }
}

public struct USBLinkStatistics: Sendable {
    public var stallsRecovered = 0
    public var zeroLengthPackets = 0
    public var interfaceReclaims = 0
    public var resets = 0
}
