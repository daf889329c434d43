import Glibc // fnmatch: a C library function, no system call

/// The lines of a udev rules file that grant access to USB devices by their ids, enough to tell
/// whether a quirks-file entry is covered by `70-mfpbridge.rules` (`mfpbridge doctor`). Pure: the
/// caller reads the file.
///
/// A line counts when it matches `ATTR{idVendor}` or `ATTRS{idVendor}` (or `ENV{ID_VENDOR_ID}`)
/// with `==` and assigns `MODE`, `GROUP`, `OWNER` or `TAG+="uaccess"`. Its `idProduct`
/// (`ENV{ID_MODEL_ID}`) and `ENV{ID_USB_INTERFACES}` matches narrow it; values are udev's
/// shell-style patterns with `|` alternatives. Other keys (ACTION, SUBSYSTEM, ...) are not
/// evaluated.
public struct UDevRules: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        /// 1-based, the first physical line of a continued one.
        public var number: Int
        public var vendor: Match
        public var product: Match?
        public var interfaces: Match?
    }

    /// `==` (the value must match one alternative) or `!=` (it must match none).
    public struct Match: Sendable, Hashable {
        public var equal: Bool
        public var patterns: [String]

        func accepts(_ value: String) -> Bool {
            let matched = patterns.contains { fnmatch($0, value, 0) == 0 }
            return equal ? matched : !matched
        }
    }

    public var lines: [Line]

    public init(text: String) {
        var lines: [Line] = []
        var pending = ""
        var first = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var physical = String(raw)
            if pending.isEmpty { first = index + 1 }
            if physical.hasSuffix("\\") {
                physical.removeLast()
                pending += physical
                continue
            }
            let logical = pending + physical
            pending = ""
            if let line = Self.parse(logical, number: first) { lines.append(line) }
        }
        self.lines = lines
    }

    /// Whether some line grants access to a device with these ids and this interface class triple.
    /// `productID` nil (any product of the vendor) is covered only by a line that does not narrow
    /// the product.
    public func covers(vendorID: UInt16, productID: UInt16?, interfaceClass: UInt8, subclass: UInt8, interfaceProtocol: UInt8) -> Bool {
        let vendor = Self.hex(vendorID)
        let triple = ":" + [interfaceClass, subclass, interfaceProtocol].map { Self.hex($0) }.joined() + ":"
        return lines.contains { line in
            guard line.vendor.accepts(vendor) else { return false }
            if let product = line.product {
                guard let productID, product.accepts(Self.hex(productID)) else { return false }
            }
            if let interfaces = line.interfaces, !interfaces.accepts(triple) { return false }
            return true
        }
    }

    /// The line to add for a device: the ids, its interface class, and the same access as ours.
    public static func suggestedLine(
        vendorID: UInt16, productID: UInt16?, interfaceClass: UInt8, subclass: UInt8,
        interfaceProtocol: UInt8
    ) -> String {
        let product = productID.map { "ATTR{idProduct}==\"\(hex($0))\", " } ?? ""
        let triple = [interfaceClass, subclass, interfaceProtocol].map { hex($0) }.joined()
        return "ATTR{idVendor}==\"\(hex(vendorID))\", \(product)ENV{ID_USB_INTERFACES}==\"*:\(triple):*\", "
            + "MODE=\"0660\", GROUP=\"plugdev\", TAG+=\"uaccess\""
    }

    static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func hex(_ value: UInt8) -> String {
        value < 0x10 ? "0" + String(value, radix: 16) : String(value, radix: 16)
    }

    /// One logical line: `KEY{ATTR} OP "VALUE"` pairs separated by commas.
    static func parse(_ text: String, number: Int) -> Line? {
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
        var vendor: Match?
        var product: Match?
        var interfaces: Match?
        var grants = false
        for (key, operation, value) in pairs(String(trimmed)) {
            let patterns = value.lowercased().split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let match: Match? =
                operation == "=="
                ? Match(equal: true, patterns: patterns)
                : operation == "!=" ? Match(equal: false, patterns: patterns) : nil
            switch key {
            case "ATTR{idVendor}", "ATTRS{idVendor}", "ENV{ID_VENDOR_ID}":
                if let match { vendor = match }
            case "ATTR{idProduct}", "ATTRS{idProduct}", "ENV{ID_MODEL_ID}":
                if let match { product = match }
            case "ENV{ID_USB_INTERFACES}":
                if let match { interfaces = match }
            case "MODE", "GROUP", "OWNER":
                if match == nil, operation != "-=" { grants = true }
            case "TAG":
                if operation == "+=" || operation == "=", value == "uaccess" { grants = true }
            default:
                break
            }
        }
        guard grants, let vendor, vendor.equal else { return nil }
        return Line(number: number, vendor: vendor, product: product, interfaces: interfaces)
    }

    /// The `KEY OP "VALUE"` pairs of a line, in order.
    static func pairs(_ text: String) -> [(key: String, operation: String, value: String)] {
        var result: [(String, String, String)] = []
        var rest = Substring(text)
        let operators = ["==", "!=", "+=", "-=", ":=", "="]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard let operatorStart = rest.firstIndex(where: { "=!+-:".contains($0) }) else { break }
            let key = rest[..<operatorStart].trimmingSpaces()
            rest = rest[operatorStart...]
            guard let operation = operators.first(where: { rest.hasPrefix($0) }) else { break }
            rest = rest.dropFirst(operation.count).drop { $0 == " " || $0 == "\t" }
            guard rest.first == "\"" else { break }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "\"") else { break }
            result.append((key, operation, String(rest[..<close])))
            rest = rest[rest.index(after: close)...]
        }
        return result
    }
}

private extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
