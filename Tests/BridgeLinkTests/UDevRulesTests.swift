import Foundation
import Testing

@testable import BridgeLink

/// Which devices a udev rules file grants access to (for `mfpbridge doctor`).
@Suite struct UDevRulesTests {
    static let repositoryRule = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../udev/70-mfpbridge.rules").standardized.path

    @Test func theRepositoryRuleCoversOurVendorInterfaceOnly() throws {
        let rules = UDevRules(text: try String(contentsOfFile: Self.repositoryRule, encoding: .utf8))
        #expect(rules.lines.count == 1)
        #expect(rules.covers(vendorID: 0x3A5C, productID: 0x0C55, interfaceClass: 0xFF, subclass: 0xFF, interfaceProtocol: 0xFF))
        #expect(rules.covers(vendorID: 0x3A5C, productID: nil, interfaceClass: 0xFF, subclass: 0xFF, interfaceProtocol: 0xFF))
        // Another vendor, or our vendor with another interface class, needs a line of its own.
        #expect(!rules.covers(vendorID: 0x1209, productID: 0x7A01, interfaceClass: 0xFF, subclass: 0xFF, interfaceProtocol: 0xFF))
        #expect(!rules.covers(vendorID: 0x3A5C, productID: 0x0C55, interfaceClass: 0x07, subclass: 0x01, interfaceProtocol: 0x02))
    }

    @Test func productsPatternsAlternativesAndContinuations() {
        let rules = UDevRules(
            text: """
                # a comment: ATTRS{idVendor}=="1209", MODE="0666"
                SUBSYSTEM=="usb", ATTRS{idVendor}=="1209", ATTRS{idProduct}=="7a0[0-3]|7b01", \\
                    MODE="0660", GROUP="plugdev"
                ATTR{idVendor}=="04b8", TAG+="uaccess"
                ATTR{idVendor}=="abcd", ATTR{idProduct}!="0001", TAG+="uaccess"
                ATTR{idVendor}=="dead", GOTO="end"
                """)
        #expect(rules.lines.map(\.number) == [2, 4, 5])
        #expect(rules.covers(vendorID: 0x1209, productID: 0x7A02, interfaceClass: 0xFF, subclass: 0, interfaceProtocol: 1))
        #expect(rules.covers(vendorID: 0x1209, productID: 0x7B01, interfaceClass: 0xFF, subclass: 0, interfaceProtocol: 1))
        #expect(!rules.covers(vendorID: 0x1209, productID: 0x7A04, interfaceClass: 0xFF, subclass: 0, interfaceProtocol: 1))
        // Any product of the vendor is covered only by a line that does not narrow the product.
        #expect(!rules.covers(vendorID: 0x1209, productID: nil, interfaceClass: 0xFF, subclass: 0, interfaceProtocol: 1))
        #expect(rules.covers(vendorID: 0x04B8, productID: nil, interfaceClass: 7, subclass: 1, interfaceProtocol: 2))
        #expect(rules.covers(vendorID: 0xABCD, productID: 0x0002, interfaceClass: 7, subclass: 1, interfaceProtocol: 2))
        #expect(!rules.covers(vendorID: 0xABCD, productID: 0x0001, interfaceClass: 7, subclass: 1, interfaceProtocol: 2))
        // A line that grants nothing (GOTO only) covers nothing.
        #expect(!rules.covers(vendorID: 0xDEAD, productID: 0x0001, interfaceClass: 0xFF, subclass: 0xFF, interfaceProtocol: 0xFF))
    }

    @Test func theSuggestedLineCoversTheEntry() {
        let line = UDevRules.suggestedLine(
            vendorID: 0x1209, productID: 0x7A01, interfaceClass: 0xFF, subclass: 0x42, interfaceProtocol: 0x01)
        #expect(
            line
                == #"ATTR{idVendor}=="1209", ATTR{idProduct}=="7a01", ENV{ID_USB_INTERFACES}=="*:ff4201:*", MODE="0660", GROUP="plugdev", TAG+="uaccess""#
        )
        let rules = UDevRules(text: line)
        #expect(rules.covers(vendorID: 0x1209, productID: 0x7A01, interfaceClass: 0xFF, subclass: 0x42, interfaceProtocol: 0x01))
        #expect(!rules.covers(vendorID: 0x1209, productID: 0x7A01, interfaceClass: 0xFF, subclass: 0xFF, interfaceProtocol: 0xFF))
    }
}
