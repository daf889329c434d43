import BridgeClient
import Foundation
import MFPTestTools

// mfpbridge-mutate: the seeded mutation campaign over every file format (scripts/mutation-campaign).
//
//   mfpbridge-mutate run [--mutants N] [--seed S] [--only I] [--trace]
//       Verifies N mutants as `mfpbridge verify` does; prints per format counts and, last,
//       "N passed, N failed". Exits 1 when any mutant failed.
//   mfpbridge-mutate write --from FILE --out DIR [--count N] [--seed S]
//       Writes N mutants of an existing bundle or box backup into DIR (mutant-0000, ...), one line
//       per mutant on standard output: its file name and what was done. A protected bundle's
//       password, if any, comes from MFPBRIDGE_BUNDLE_PASSWORD.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("mfpbridge-mutate: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("usage: mfpbridge-mutate run|write [options]") }
arguments.removeFirst()
var options: [String: String] = [:]
var flags: Set<String> = []
while let argument = arguments.first {
    arguments.removeFirst()
    guard argument.hasPrefix("--") else { fail("unexpected argument \(argument)") }
    if argument == "--trace" {
        flags.insert(argument)
    } else {
        guard let value = arguments.first else { fail("\(argument) needs a value") }
        arguments.removeFirst()
        options[argument] = value
    }
}

let parsed = options
@MainActor func number(_ name: String, _ fallback: Int) -> Int {
    guard let text = parsed[name] else { return fallback }
    guard let value = Int(text), value >= 0 else { fail("\(name) takes a whole number, not \(text)") }
    return value
}

let seed = UInt64(number("--seed", 2026))
switch command {
case "run":
    var campaign = MutationCampaign(seed: seed, mutants: number("--mutants", 10_000))
    if flags.contains("--trace") {
        campaign.trace = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
    print("mutation campaign: seed \(seed), \(options["--only"].map { "mutant \($0)" } ?? "\(campaign.mutants) mutants")")
    let report = try campaign.run(only: options["--only"].map { _ in number("--only", 0) })
    for line in report.lines { print(line) }
    exit(report.failed == 0 ? 0 : 1)
case "write":
    guard let from = options["--from"], let out = options["--out"] else { fail("write needs --from FILE and --out DIR") }
    let password = ProcessInfo.processInfo.environment["MFPBRIDGE_BUNDLE_PASSWORD"]
    guard let data = FileManager.default.contents(atPath: from),
        let original = CampaignOriginals.parse(Array(data), password: password)
    else {
        fail("\(from) is not a bundle or box backup whose layout adds up")
    }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    for (index, mutant) in MutationSample.mutants(of: original, count: number("--count", 20), seed: seed).enumerated() {
        let name = String(format: "mutant-%04d", index)
        try Data(mutant.bytes).write(to: URL(fileURLWithPath: out + "/" + name))
        print("\(name)\t\(mutant.description)")
    }
default:
    fail("unknown command \(command): run or write")
}
