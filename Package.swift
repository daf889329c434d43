// swift-tools-version:6.1
import PackageDescription

// Layers (see docs/architecture.md): the CLI sits on BridgeClient, which uses BridgeWire (pure
// framing and messages), MFPKit (pure domain), BridgeLink (links: termios, libudev, libusb) and
// BridgeTransfer (durable files), both on BridgeSystem (every system call). MFPEmulator is the
// device side on the same layers. scripts/check-system-layer keeps libc calls in BridgeSystem.
let package = Package(
    name: "mfpbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mfpbridge", targets: ["mfpbridge"]),
        .library(name: "BridgeClient", targets: ["BridgeClient"]),
        .library(name: "MFPEmulator", targets: ["MFPEmulator"]),
        .library(name: "MFPOperations", targets: ["MFPOperations"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // System libraries: headers and link flags come from pkg-config.
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CLibUDev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        .systemLibrary(
            name: "CUSBRedirParser", pkgConfig: "libusbredirparser-0.5", providers: [.apt(["libusbredirparser-dev"])]),
        // Small C helpers Swift cannot express: variadic ioctl, the CPU's CRC32C instruction.
        .target(name: "CMFPBridgeShims"),

        // Pure layers: no I/O.
        .target(name: "MFPKit", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "BridgeWire", dependencies: ["MFPKit", "CMFPBridgeShims"]),
        // The bundle (export file) format: header, sealed chunks, manifest. Pure: bytes in, bytes out.
        .target(
            name: "MFPBundle",
            dependencies: [
                "MFPKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]),

        // Every system call: one error type, owned descriptors, EINTR retried in one place.
        // File descriptor I/O goes through swift-system; the rest (termios, ioctl, flock, statvfs,
        // poll, ptys, sockets) calls Glibc here (docs/architecture.md, "One syscall layer").
        .target(
            name: "BridgeSystem",
            dependencies: [
                "CMFPBridgeShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        // Links: serial, sockets, ptys, USB (libusb) and udev (libudev), on BridgeSystem.
        .target(
            name: "BridgeLink",
            dependencies: [
                "BridgeSystem", "BridgeWire", "CLibUDev", "CLibUSB",
            ]),
        // Durable files (temp, fsync, rename, folder fsync), the checkpoint journal and the resumable stream engine.
        .target(
            name: "BridgeTransfer",
            dependencies: [
                "BridgeSystem", "BridgeWire", "BridgeLink",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "BridgeClient",
            dependencies: [
                "BridgeSystem", "MFPKit", "BridgeWire", "BridgeLink", "BridgeTransfer", "MFPBundle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "MFPEmulator",
            dependencies: [
                "BridgeSystem", "MFPKit", "BridgeWire", "BridgeLink", "BridgeTransfer", "MFPBundle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The emulated machine as a USB device on a usbredir connection (QEMU's usb-redir): its
        // descriptors, standard and printer-class requests, and the vendor interface's bulk data.
        .target(
            name: "MFPUSBDevice",
            dependencies: [
                "BridgeSystem", "BridgeLink", "MFPEmulator", "MFPKit", "CUSBRedirParser",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // USB memory media: sticks and their partitions (libudev), mount points (mountinfo), space.
        .target(name: "MFPMedia", dependencies: ["BridgeSystem", "CLibUDev", "MFPKit"]),
        // The operations as a library (export, import, rollback, box backup and restore, resume,
        // wait-and-reconnect, history): what the command line and a rig runner drive.
        .target(
            name: "MFPOperations",
            dependencies: [
                "BridgeSystem", "BridgeClient", "BridgeLink", "BridgeTransfer", "MFPEmulator", "MFPBundle", "MFPKit", "MFPMedia",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "mfpbridge",
            dependencies: [
                "MFPOperations", "BridgeClient", "MFPEmulator", "MFPUSBDevice", "MFPMedia", "BridgeSystem", "BridgeLink", "BridgeTransfer",
                "MFPKit",
                "MFPBundle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Prints speed ratios measured in one run (docs/performance.md); never part of the tests.
        .executableTarget(
            name: "mfpbridge-bench",
            dependencies: [
                "BridgeSystem", "BridgeWire", "BridgeLink", "BridgeTransfer", "BridgeClient", "MFPMedia", "MFPTestTools", "CLibUSB",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Test tools (not a product): the seeded wire fuzz campaign (tests, mfpbridge-bench fuzz) and
        // mutation campaign over every file format (R8, R13; tests, mfpbridge-mutate), their SplitMix64,
        // and the tests' runner of the built commands (PackageTool, BackgroundCommand).
        .target(
            name: "MFPTestTools",
            dependencies: [
                "BridgeSystem", "BridgeClient", "BridgeTransfer", "BridgeWire", "MFPBundle", "MFPKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Runs the mutation campaign (scripts/mutation-campaign, scripts/test) and writes mutants
        // for the end-to-end tests; never installed.
        .executableTarget(name: "mfpbridge-mutate", dependencies: ["MFPTestTools", "BridgeClient"]),
        // Applies a staged import and is killed mid-way by the R3 crash tests; never installed.
        .executableTarget(name: "mfpbridge-crashtest", dependencies: ["MFPEmulator", "MFPKit", "BridgeTransfer"]),

        .testTarget(name: "MFPKitTests", dependencies: ["MFPKit"]),
        .testTarget(name: "BridgeWireTests", dependencies: ["BridgeWire", "MFPKit", "MFPTestTools"]),
        .testTarget(name: "BridgeSystemTests", dependencies: ["BridgeSystem"]),
        .testTarget(name: "BridgeLinkTests", dependencies: ["BridgeSystem", "BridgeLink", "BridgeWire", "BridgeTransfer", "MFPTestTools"]),
        .testTarget(
            name: "MFPBundleTests",
            dependencies: [
                "MFPBundle", "MFPKit", "BridgeTransfer", .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Real libusb and libudev against an emulated USB MFP under umockdev (skips with the reason
        // when umockdev is missing).
        .testTarget(
            name: "USBTests",
            dependencies: [
                "BridgeLink", "BridgeWire", "BridgeClient", "MFPKit", "MFPMedia", "MFPTestTools", "CLibUSB",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "EmulatorTests",
            dependencies: [
                "MFPEmulator", "BridgeClient", "BridgeLink", "BridgeTransfer", "BridgeWire", "MFPKit", "MFPBundle",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "MFPMediaTests", dependencies: ["MFPMedia"]),
        .testTarget(
            name: "MFPUSBDeviceTests",
            dependencies: [
                "MFPUSBDevice", "MFPKit", "MFPEmulator", "BridgeWire", "CUSBRedirParser",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "CLITests", dependencies: ["MFPTestTools", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "MFPTestToolsTests",
            dependencies: [
                "MFPTestTools", "BridgeClient", "BridgeTransfer", "MFPBundle", "MFPKit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
