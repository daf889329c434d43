// swift-tools-version:6.1
import PackageDescription

// Layers (see docs/architecture.md): the CLI sits on BridgeClient, which uses BridgeWire (pure
// framing and messages), MFPKit (pure domain) and BridgeLink (every syscall, termios, libudev,
// libusb). MFPEmulator is the device side on the same pure layers.
let package = Package(
    name: "mfpbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mfpbridge", targets: ["mfpbridge"]),
        .library(name: "BridgeClient", targets: ["BridgeClient"]),
        .library(name: "MFPEmulator", targets: ["MFPEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // System libraries: headers and link flags come from pkg-config.
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CLibUDev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        // Small C helpers Swift cannot express: variadic ioctl, the CPU's CRC32C instruction.
        .target(name: "CMFPBridgeShims"),

        // Pure layers: no I/O.
        .target(name: "MFPKit", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "BridgeWire", dependencies: ["MFPKit", "CMFPBridgeShims"]),
        // The bundle (export file) format: header, sealed chunks, manifest. Pure: bytes in, bytes out.
        .target(name: "MFPBundle", dependencies: [
            "MFPKit",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),

        // Every libc, libudev and libusb call lives here.
        .target(name: "BridgeLink", dependencies: [
            "BridgeWire", "CMFPBridgeShims", "CLibUDev", "CLibUSB",
        ]),
        // Durable files (temp, fsync, rename, directory fsync); later the checkpoint journal and streaming.
        .target(name: "BridgeTransfer", dependencies: [
            "BridgeWire", "BridgeLink",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "BridgeClient", dependencies: [
            "MFPKit", "BridgeWire", "BridgeLink", "BridgeTransfer", "MFPBundle",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "MFPEmulator", dependencies: [
            "MFPKit", "BridgeWire", "BridgeLink", "BridgeTransfer", "MFPBundle",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .executableTarget(name: "mfpbridge", dependencies: [
            "BridgeClient", "MFPEmulator", "BridgeLink", "BridgeTransfer", "MFPKit", "MFPBundle",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Prints speed ratios measured in one run (docs/performance.md); never part of the tests.
        .executableTarget(name: "mfpbridge-bench", dependencies: [
            "BridgeWire", "BridgeLink", "BridgeTransfer", "MFPTestTools",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Test tools (not a product): the seeded wire fuzz campaign (tests, mfpbridge-bench fuzz) and
        // mutation campaign over every file format (R8, R13; tests, mfpbridge-mutate), their SplitMix64,
        // and the tests' runner of the built commands (PackageTool, BackgroundCommand).
        .target(name: "MFPTestTools", dependencies: [
            "BridgeClient", "BridgeTransfer", "BridgeWire", "MFPBundle", "MFPKit",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Runs the mutation campaign (scripts/mutation-campaign, scripts/test) and writes mutants
        // for the end-to-end tests; never installed.
        .executableTarget(name: "mfpbridge-mutate", dependencies: ["MFPTestTools", "BridgeClient"]),
        // Applies a staged import and is killed mid-way by the R3 crash tests; never installed.
        .executableTarget(name: "mfpbridge-crashtest", dependencies: ["MFPEmulator", "MFPKit", "BridgeTransfer"]),

        .testTarget(name: "MFPKitTests", dependencies: ["MFPKit"]),
        .testTarget(name: "BridgeWireTests", dependencies: ["BridgeWire", "MFPKit", "MFPTestTools"]),
        .testTarget(name: "BridgeLinkTests", dependencies: ["BridgeLink", "BridgeWire", "BridgeTransfer", "MFPTestTools"]),
        .testTarget(name: "MFPBundleTests", dependencies: [
            "MFPBundle", "MFPKit", "BridgeTransfer", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Real libusb and libudev against an emulated USB MFP under umockdev (skips with the reason
        // when umockdev is missing).
        .testTarget(name: "USBTests", dependencies: [
            "BridgeLink", "BridgeWire", "BridgeClient", "MFPKit", "MFPTestTools", "CLibUSB",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "EmulatorTests", dependencies: [
            "MFPEmulator", "BridgeClient", "BridgeLink", "BridgeTransfer", "BridgeWire", "MFPKit", "MFPBundle",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CLITests", dependencies: ["MFPTestTools", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "MFPTestToolsTests", dependencies: [
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
