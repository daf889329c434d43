import BridgeSystem
import Foundation
import Glibc
import Testing

@testable import BridgeLink

@Suite struct LinkErrorMappingTests {
    @Test func errnoMapsToLinkErrors() {
        let cases: [(Int32, LinkError.Code)] = [
            (ENOENT, .notFound), (EACCES, .permissionDenied), (EBUSY, .busy), (EWOULDBLOCK, .busy),
            (ENOTTY, .notATerminal), (EIO, .io),
        ]
        for (code, expected) in cases {
            let error = LinkError(SystemError(call: "open", errno: code), path: "/dev/ttyX")
            #expect(error.code == expected)
            #expect(error.errno == code)
            #expect(error.message.contains("/dev/ttyX"))
        }
        #expect(LinkError(SystemError(call: "open", errno: EACCES), path: "/dev/ttyX").message.contains("dialout"))
        #expect("\(LinkError(SystemError(call: "open", errno: ENOENT), path: "/x"))".contains("No such file"))
    }
}

@Suite struct SerialAddressTests {
    @Test(arguments: [
        ("serial:/dev/ttyUSB0@9600", "/dev/ttyUSB0", 9600),
        ("serial:/dev/ttyS0", "/dev/ttyS0", 115200),
        ("serial:/dev/pts/3@4000000", "/dev/pts/3", 4_000_000),
        ("serial:/dev/serial/by-id/usb-FTDI_FT232R-if00-port0@57600", "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", 57600),
        ("serial:/dev/odd@name@50", "/dev/odd@name", 50),
    ])
    func validAddresses(text: String, path: String, rate: Int) throws {
        let parsed = try SerialAddress.parse(text)
        #expect(parsed.path == path && parsed.baudRate == rate)
    }

    @Test(arguments: [
        ("/dev/ttyUSB0", LinkError.Code.invalidAddress),
        ("unix:/run/x.sock", .invalidAddress),
        ("serial:", .invalidAddress),
        ("serial:/", .invalidAddress),
        ("serial:ttyUSB0", .invalidAddress),
        ("serial:/dev/ttyUSB0@", .invalidAddress),
        ("serial:/dev/ttyUSB0@fast", .invalidAddress),
        ("serial:/dev/ttyUSB0@-9600", .invalidAddress),
        ("serial:/dev/ttyUSB0@٩٦٠٠", .invalidAddress),
        ("serial:/dev/ttyUSB0@99999999999999999999999", .invalidAddress),
        ("serial:/dev/ttyUSB0@12345", .unsupportedBaudRate),
    ])
    func invalidAddresses(text: String, code: LinkError.Code) {
        #expect(linkError { _ = try SerialAddress.parse(text) }?.code == code, "\(text)")
    }
}

@Suite struct SerialPortScannerTests {
    @Test func listRunsAndEveryPortExists() throws {
        let ports = SerialPortScanner.list()
        for port in ports {
            #expect(FileManager.default.fileExists(atPath: port.path), "\(port.path)")
            #expect(port.path.hasPrefix("/dev/"))
        }
        // Round-trips through JSON (the CLI prints it with --json).
        let decoded = try JSONDecoder().decode([SerialPortInfo].self, from: JSONEncoder().encode(ports))
        #expect(decoded == ports)
        // The pty this process opens is not a port with a parent device.
        let device = try PseudoTerminal.open()
        defer { device.close() }
        #expect(!SerialPortScanner.list().contains { $0.path == device.slavePath })
    }
}
