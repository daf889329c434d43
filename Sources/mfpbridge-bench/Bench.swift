// mfpbridge-bench: speed ratios measured in one run, and the long frame-decoder fuzz campaign.
// Never part of the tests. Build it in release: swift build -c release --product mfpbridge-bench
//
//   mfpbridge-bench crc [--mib N] [--rounds R]
//   mfpbridge-bench fuzz [--inputs N] [--seed S] [--jobs J]
//   mfpbridge-bench transfer [--socket-mib N] [--pty-mib N] [--rounds R] [--dir PATH]
//   mfpbridge-bench transfer-one [--link socket|pty] [--mode raw|engine|unchecked|hashing|file|journal] [--mib N] [--repeat N]
//   mfpbridge-bench resume [--dir PATH]
//   mfpbridge-bench memory [--dir PATH] [--small-mib N] [--large-mib N]
//   mfpbridge-bench raw-device --link socket:PATH|pty --role send|receive --bytes N [--file PATH]
//   mfpbridge-bench raw-host --device unix:PATH|serial:PATH --role send|receive --bytes N [--file PATH]
//     (the two ends of scripts/bench-commands' raw copy: RawCopy.swift)
//   mfpbridge-bench media-write --file BOX-BACKUP --folder DIR [--rounds N]
//     (the stick writer against a raw copy; scripts/bench-media makes the media)
//   mfpbridge-bench usb-echo --device VID:PID [--interface N] [--size B] [--seconds S]
//     (the raw baseline of scripts/hil-rig --bench, inside the guest)

import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mfpbridge-bench",
        abstract: "Speed ratios measured in one run (docs/performance.md), and the long frame-decoder fuzz campaign.",
        subcommands: [
            CRCCommand.self, FuzzCommand.self, TransferCommand.self, TransferOneCommand.self, ResumeCommand.self,
            MemoryCommand.self, RawDeviceCommand.self, RawHostCommand.self, USBEchoCommand.self, MediaWriteCommand.self,
        ])
}
