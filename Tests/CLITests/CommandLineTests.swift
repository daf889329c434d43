import Foundation
import Testing

@Suite("mfpbridge command line")
struct CommandLineTests {
    @Test("--help explains the commands and lists the exit codes")
    func help() throws {
        let result = try CommandRunner.run(["--help"])
        #expect(result.status == 0)
        for word in ["status", "devices", "emulate", "emulate-ctl", "Exit codes", "interrupted, resumable"] {
            #expect(result.stdout.contains(word), "help lacks \(word)")
        }
    }

    @Test("A bad address is a usage error (2); a missing port is unreachable (3)")
    func addresses() throws {
        let bad = try CommandRunner.run(["status", "--device", "lpt1"], environment: ["MFPBRIDGE_PASSWORD": "x"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("not a device address"))
        let missing = try CommandRunner.run(["status", "--device", "serial:/dev/ttyNOPE9"], environment: ["MFPBRIDGE_PASSWORD": "x"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("/dev/ttyNOPE9"))
        let unknownOption = try CommandRunner.run(["status", "--colour"])
        #expect(unknownOption.status == 2)
    }

    @Test("No password and no terminal: a usage error that says where a password comes from")
    func noPassword() throws {
        let result = try CommandRunner.run(
            ["status", "--device", "emulated:aurora-c5540"],
            environment: ["MFPBRIDGE_DATA_DIR": try CommandRunner.temporaryDirectory()])
        // The test runner may have a terminal; only check when it has none.
        if !FileManager.default.isReadableFile(atPath: "/dev/tty") || open("/dev/tty", O_RDWR) < 0 {
            #expect(result.status == 2)
            #expect(result.stderr.contains("--password-file"))
        }
    }

    @Test("emulated:PROFILE keeps its machine between commands; emulate-ctl changes it while idle")
    func builtInEmulator() throws {
        let data = try CommandRunner.temporaryDirectory()
        let environment = ["MFPBRIDGE_DATA_DIR": data, "MFPBRIDGE_PASSWORD": "7654321"]
        let first = try CommandRunner.run(["status", "--device", "emulated:meridian-m3200", "--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try decodeJSON(first.stdout)["language"] as? String == "de-DE")
        let state = data + "/emulated/meridian-m3200"
        let job = try CommandRunner.run(["emulate-ctl", "--state", state, "job", "start", "report-print"], environment: environment)
        #expect(job.status == 0, "\(job.stderr)")
        let second = try CommandRunner.run(["status", "--device", "emulated:meridian-m3200"], environment: environment)
        #expect(second.status == 4)
        #expect(second.stdout.contains("job-running:report-print"))
    }

    @Test("emulate-ctl: typos are usage errors; refusals say why")
    func emulateCtlErrors() throws {
        let emulator = try RunningEmulator()
        let typo = try emulator.control("job start coffee")
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown function"))
        let noJob = try emulator.control("job finish J42")
        #expect(noJob.status != 0)
        #expect(noJob.stderr.contains("no active job J42"))
    }

    @Test("devices lists running emulators and the built-in profiles, as JSON too")
    func devices() throws {
        let emulator = try RunningEmulator(socket: true)
        let result = try CommandRunner.run(["devices", "--json"], environment: ["MFPBRIDGE_DATA_DIR": emulator.dataDirectory])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try decodeJSON(result.stdout)
        let addresses = (json["emulators"] as? [[String: Any]])?.compactMap { $0["address"] as? String } ?? []
        #expect(addresses.contains(emulator.address))
        #expect(addresses.contains("emulated:aurora-c5560"))
        #expect(json["serialPorts"] is [Any])
    }

    @Test("The emulator serves on a Unix socket too")
    func socketEmulator() throws {
        let emulator = try RunningEmulator(socket: true)
        #expect(emulator.address.hasPrefix("unix:"))
        #expect(try emulator.status().status == 0)
        #expect(try emulator.control("job start fax").status == 0)
        #expect(try emulator.status().status == 4)
    }

    @Test("A scenario file drives the emulator on a timeline")
    func scenario() throws {
        let file = try CommandRunner.temporaryDirectory() + "/scenario.txt"
        try "0 error raise E602-0001\n".write(toFile: file, atomically: true, encoding: .utf8)
        let emulator = try RunningEmulator(extraArguments: ["--scenario", file])
        var result = try emulator.status()
        let deadline = Date().addingTimeInterval(10)
        while result.status == 0, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            result = try emulator.status()
        }
        #expect(result.status == 4)
        #expect(result.stdout.contains("E602-0001"))
    }
}
