import ArgumentParser
import BridgeClient
import Foundation

/// `--wait`: when the device goes away mid-way (unplugged, powered off, a pulled cable), wait for
/// it to come back at the same address (for USB: the same ids and serial number) and resume.
struct WaitOptions: ParsableArguments {
    @Flag(name: .long, help: "If the device goes away, wait for it to return and resume (instead of exit 8).")
    var wait = false

    @Option(name: .long, help: ArgumentHelp("How long --wait waits for the device, in seconds.", valueName: "seconds"))
    var waitTimeout: Int = 600
}
