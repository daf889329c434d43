import Foundation

/// Which USB devices this bridge may touch, and which of their interfaces carries the wire
/// protocol. Nothing outside this list is ever opened, claimed or sent a request: discovery reads
/// only the descriptors the kernel already cached (sysfs), so an unknown device is never probed.
///
/// The list is: the mfpbridge vendor id (every machine the project ships a profile for), the
/// exact ids of the device profiles (added by the caller, with their model names), and the
/// entries of the user's quirks file (`$MFPBRIDGE_QUIRKS`, else
/// `$XDG_CONFIG_HOME/mfpbridge/quirks.json`, else `~/.config/mfpbridge/quirks.json`):
///
/// ```json
/// {"devices": [{"vendorID": "1209", "productID": "7a01", "interfaceClass": "ff",
///               "subclass": "00", "protocol": "01", "interface": 1, "model": "Lab MFP"}]}
/// ```
/// Ids and classes are hex strings ("0x1209" or "1209") or numbers; `productID` left out means
/// any product of that vendor; the class triple defaults to ff/ff/ff (vendor specific);
/// `interface` (a number) pins the interface when several have the same class.
public struct USBAllowList: Sendable, Hashable {
    public struct Entry: Sendable, Hashable, Codable {
        public var vendorID: UInt16
        public var productID: UInt16?
        public var interfaceClass: UInt8
        public var subclass: UInt8
        public var interfaceProtocol: UInt8
        public var interfaceNumber: UInt8?
        public var model: String?
        /// Where the entry comes from: "built-in", "profile NAME", or the quirks file's path.
        public var source: String

        public init(
            vendorID: UInt16, productID: UInt16?, interfaceClass: UInt8 = 0xFF, subclass: UInt8 = 0xFF,
            interfaceProtocol: UInt8 = 0xFF, interfaceNumber: UInt8? = nil, model: String? = nil, source: String
        ) {
            self.vendorID = vendorID
            self.productID = productID
            self.interfaceClass = interfaceClass
            self.subclass = subclass
            self.interfaceProtocol = interfaceProtocol
            self.interfaceNumber = interfaceNumber
            self.model = model
            self.source = source
        }

        public func matches(vendorID: UInt16, productID: UInt16) -> Bool {
            self.vendorID == vendorID && (self.productID == nil || self.productID == productID)
        }

        /// The interface of `interfaces` this entry selects: the class triple (and number when
        /// given) must match and it must have a bulk IN and a bulk OUT endpoint.
        public func interface(in interfaces: [USBInterfaceDescriptor]) -> USBInterfaceDescriptor? {
            interfaces.first {
                $0.interfaceClass == interfaceClass && $0.subclass == subclass && $0.interfaceProtocol == interfaceProtocol
                    && (interfaceNumber == nil || $0.number == interfaceNumber) && $0.bulkPair != nil
            }
        }
    }

    /// The vendor id of mfpbridge machines (firmware-fixtures/profiles: `usb.vendorID`).
    public static let mfpbridgeVendorID: UInt16 = 0x3A5C

    public var entries: [Entry]
    /// Problems met while reading the quirks file (it is skipped, never half-read).
    public var warnings: [String] = []

    public init(entries: [Entry], warnings: [String] = []) {
        self.entries = entries
        self.warnings = warnings
    }

    /// Our vendor id with its vendor-specific interface.
    public static let builtIn = USBAllowList(entries: [
        Entry(vendorID: mfpbridgeVendorID, productID: nil, model: nil, source: "built-in")
    ])

    /// The built-in entries plus the user's quirks file: what `usb:` addresses may open.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> USBAllowList {
        var list = builtIn
        let path = quirksPath(environment: environment)
        if FileManager.default.fileExists(atPath: path) {
            do {
                list.entries = try quirks(path: path) + list.entries // the user's entries win
            } catch {
                list.warnings.append("\(path): \(error.message); the file is ignored")
            }
        }
        return list
    }

    public static func quirksPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["MFPBRIDGE_QUIRKS"], !explicit.isEmpty { return explicit }
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty { return config + "/mfpbridge/quirks.json" }
        return (environment["HOME"] ?? "/root") + "/.config/mfpbridge/quirks.json"
    }

    /// The entries of one quirks file.
    public static func quirks(path: String) throws(LinkError) -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LinkError(code: .notFound, message: "cannot read the quirks file \(path)")
        }
        return try quirks(data: data, source: path)
    }

    static func quirks(data: Data, source: String) throws(LinkError) -> [Entry] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw LinkError(code: .invalidAddress, message: "not valid JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any], let devices = root["devices"] as? [[String: Any]] else {
            throw LinkError(code: .invalidAddress, message: "expected {\"devices\": [{\"vendorID\": \"1209\", ...}]}")
        }
        var entries: [Entry] = []
        for (index, device) in devices.enumerated() {
            func number<T: FixedWidthInteger>(_ key: String, _: T.Type) throws(LinkError) -> T? {
                guard let value = device[key] else { return nil }
                if let int = value as? Int, let fitted = T(exactly: int) { return fitted }
                if let text = value as? String {
                    let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
                    if let parsed = T(digits, radix: 16) { return parsed }
                }
                throw LinkError(
                    code: .invalidAddress, message: "device \(index + 1): \(key) must be a hex string such as \"0x1209\" or a number")
            }
            guard let vendor = try number("vendorID", UInt16.self) else {
                throw LinkError(code: .invalidAddress, message: "device \(index + 1) has no vendorID")
            }
            var interfaceNumber: UInt8?
            if let value = device["interface"] {
                guard let int = value as? Int, let fitted = UInt8(exactly: int) else {
                    throw LinkError(code: .invalidAddress, message: "device \(index + 1): interface must be a number (0-255)")
                }
                interfaceNumber = fitted
            }
            entries.append(
                Entry(
                    vendorID: vendor, productID: try number("productID", UInt16.self),
                    interfaceClass: try number("interfaceClass", UInt8.self) ?? 0xFF,
                    subclass: try number("subclass", UInt8.self) ?? 0xFF,
                    interfaceProtocol: try number("protocol", UInt8.self) ?? 0xFF,
                    interfaceNumber: interfaceNumber, model: device["model"] as? String, source: source))
        }
        return entries
    }

    /// The first entry for these ids whose interface the device has, with that interface.
    public func match(
        vendorID: UInt16, productID: UInt16,
        interfaces: [USBInterfaceDescriptor]
    ) -> (entry: Entry, interface: USBInterfaceDescriptor)? {
        for entry in entries where entry.matches(vendorID: vendorID, productID: productID) {
            if let interface = entry.interface(in: interfaces) { return (entry, interface) }
        }
        return nil
    }

    /// True when some entry names these ids (whatever the interfaces): only then are the device's
    /// configuration descriptors even looked at.
    public func admits(vendorID: UInt16, productID: UInt16) -> Bool {
        entries.contains { $0.matches(vendorID: vendorID, productID: productID) }
    }

    /// The model name an entry gives for these ids, the most specific first.
    public func model(vendorID: UInt16, productID: UInt16) -> String? {
        entries.first { $0.vendorID == vendorID && $0.productID == productID && $0.model != nil }?.model
            ?? entries.first { $0.matches(vendorID: vendorID, productID: productID) && $0.model != nil }?.model
    }
}
