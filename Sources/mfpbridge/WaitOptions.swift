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

    /// Runs `body`, and with `--wait` runs it again after each interruption until it ends
    /// otherwise or the device stays away longer than `--wait-timeout`.
    func retrying(_ body: () throws -> Void) throws {
        var announced = false
        var deadline = Date().addingTimeInterval(TimeInterval(waitTimeout))
        while true {
            do {
                try body()
                return
            } catch let error as BridgeError where wait && (error.status == .interrupted || error.status == .unreachable) {
                guard Date() < deadline else {
                    Output.warn("error: the device did not return within \(waitTimeout) s")
                    throw error
                }
                if !announced {
                    Output.warn("\(error.message)\nWaiting for the device to return (up to \(waitTimeout) s; Ctrl-C to stop, `mfpbridge resume` later)...")
                    announced = true
                }
                Thread.sleep(forTimeInterval: 1)
                if error.status == .interrupted {
                    // Progress was made: the wait starts again.
                    deadline = Date().addingTimeInterval(TimeInterval(waitTimeout))
                }
            }
        }
    }
}
