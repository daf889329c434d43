// A child process for the R3 crash test (Tests/EmulatorTests/SettingsStoreTests.swift): it opens
// the emulator's settings store, applies one staged import and exits, so that the test can kill -9
// it at a random moment of the apply and check what a restarted device finds. Never part of the
// product.
//
//     mfpbridge-crashtest apply STORE PROFILE.json SEED TOKEN
//
// Prints `applying` once the store is open (the test starts its clock there) and `applied` after
// the commit. Exit 0 on success, 1 on a store error, 2 on bad arguments.
import Foundation
import MFPEmulator
import MFPKit

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("mfpbridge-crashtest: \(message)\n".utf8))
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count == 6, arguments[1] == "apply", let seed = UInt64(arguments[4]) else {
    fail("usage: mfpbridge-crashtest apply STORE PROFILE.json SEED TOKEN", status: 2)
}
guard let profileData = FileManager.default.contents(atPath: arguments[3]) else {
    fail("cannot read the profile \(arguments[3])", status: 2)
}
do {
    let profile = try DeviceProfile.decode(profileData)
    let store = try SettingsStore(path: arguments[2], profile: profile, seed: seed)
    FileHandle.standardOutput.write(Data("applying\n".utf8))
    try store.applyStaged(token: arguments[5])
    FileHandle.standardOutput.write(Data("applied\n".utf8))
} catch {
    fail("\(error)", status: 1)
}
