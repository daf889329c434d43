import Foundation

/// A hook for the HIL rig, which pulls a real stick at chosen moments of a write: with
/// `MFPBRIDGE_MEDIA_TEST_PAUSE=STAGE:SECONDS` (STAGE: writing, renamed, reading-back) the writer
/// says `test pause: STAGE` on standard error when it gets there and waits that long. Unset, it
/// does nothing; it never changes what is written.
enum MediaTestPause {
    static func at(_ stage: PowerSafeWriter.Stage) {
        guard let value = ProcessInfo.processInfo.environment["MFPBRIDGE_MEDIA_TEST_PAUSE"] else { return }
        let parts = value.split(separator: ":")
        guard parts.count == 2, parts[0] == stage.rawValue, let seconds = Double(parts[1]) else { return }
        FileHandle.standardError.write(Data("test pause: \(stage.rawValue)\n".utf8))
        Thread.sleep(forTimeInterval: seconds)
    }
}
