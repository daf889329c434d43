// A child process for the R3 crash tests: it opens one of the emulator's stores, applies what is
// staged and exits, so that a test can kill -9 it at a random moment of the apply and check what a
// restarted device finds. Never part of the product.
//
//     mfpbridge-crashtest apply STORE PROFILE.json SEED TOKEN
//         the settings store (Tests/EmulatorTests/SettingsStoreTests.swift): applies staged import TOKEN
//     mfpbridge-crashtest box BOXDIR SEED GENERATED-SIZE EXPECTED-SIZE EXPECTED-CHAIN-HEX
//         the box documents (Tests/EmulatorTests/BoxStoreTests.swift): opens the BoxStore in BOXDIR
//         (recovering first) and applies its staging, verified against EXPECTED-SIZE and the chain
//
// Prints `applying` once the store is open (the test starts its clock there) and `applied` after
// the commit. In box mode it also prints `step NAME` after each durable step of the apply
// (BoxStore.ApplyStep) and, when the environment variable MFPBRIDGE_CRASHTEST_PAUSE_MS is set to a
// number, sleeps that many milliseconds after each step: the test uses it to spread its kills over
// every step of an apply that would otherwise take a few milliseconds. Nothing else reads it.
// Exit 0 on success, 1 on a store error, 2 on bad arguments.
import BridgeTransfer
import Foundation
import MFPEmulator
import MFPKit

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("mfpbridge-crashtest: \(message)\n".utf8))
    exit(status)
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func applySettings(_ arguments: [String]) {
    guard arguments.count == 6, let seed = UInt64(arguments[4]) else {
        fail("usage: mfpbridge-crashtest apply STORE PROFILE.json SEED TOKEN", status: 2)
    }
    guard let profileData = FileManager.default.contents(atPath: arguments[3]) else {
        fail("cannot read the profile \(arguments[3])", status: 2)
    }
    do {
        let profile = try DeviceProfile.decode(profileData)
        let store = try SettingsStore(path: arguments[2], profile: profile, seed: seed)
        say("applying")
        try store.applyStaged(token: arguments[5])
        say("applied")
    } catch {
        fail("\(error)", status: 1)
    }
}

func applyBox(_ arguments: [String]) {
    guard arguments.count == 7, let seed = UInt64(arguments[3]), let generatedSize = UInt64(arguments[4]),
        let expectedSize = UInt64(arguments[5]), let chain = ChainHash([UInt8](hexString: arguments[6]) ?? [])
    else {
        fail("usage: mfpbridge-crashtest box BOXDIR SEED GENERATED-SIZE EXPECTED-SIZE EXPECTED-CHAIN-HEX", status: 2)
    }
    let pause = ProcessInfo.processInfo.environment["MFPBRIDGE_CRASHTEST_PAUSE_MS"].flatMap(Double.init) ?? 0
    do {
        let store = try BoxStore(directory: arguments[2], seed: seed, generatedSize: generatedSize)
        if let recovery = store.recovery { say("recovered: \(recovery)") }
        say("applying")
        try store.applyStaged(expectedSize: expectedSize, expectedChain: chain) { step in
            say("step \(step.rawValue)")
            if pause > 0 { Thread.sleep(forTimeInterval: pause / 1000) }
        }
        say("applied")
    } catch {
        fail("\(error)", status: 1)
    }
}

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "apply": applySettings(arguments)
case "box": applyBox(arguments)
default:
    fail(
        "usage: mfpbridge-crashtest apply STORE PROFILE.json SEED TOKEN\n"
            + "       mfpbridge-crashtest box BOXDIR SEED GENERATED-SIZE EXPECTED-SIZE EXPECTED-CHAIN-HEX", status: 2)
}
