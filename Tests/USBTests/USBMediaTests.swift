import Foundation
import MFPMedia
import Testing

/// Sticks as libudev reports them, on umockdev's emulated bus (the harness's `plug_stick`: a
/// usb-storage device, its disk and one partition with udev's blkid properties, as a real stick
/// shows in the HIL rig's guest). Mount points come from an injected mount table: umockdev has
/// neither block I/O nor mountinfo. Real mounts, writes and pulls are the media tests' and the rig's.
/// Nested in `USBLinkTests` (serialized: every test resets the one emulated bus).
extension USBLinkTests {
    @Suite(.serialized, .enabled(if: USBHarness.shared != nil, Comment(rawValue: USBHarness.unavailableReason ?? "")))
    struct USBMediaTests {
        let harness = USBHarness.shared!

        init() throws { try harness.reset() }

        static let mounts = MountTable(
            parsing: "36 25 8:1 / /media/tech/TECH\\040STICK rw,nosuid,nodev,relatime shared:1 - vfat /dev/sda1 rw,fmask=0022\n")

        @Test("a stick's disk and partition: label, file system, size, serial, removable; its mount by major:minor")
        func detection() throws {
            let stick = try harness.plugStick(label: "TECH STICK", serial: "4C530001230617114345")
            defer { try? harness.unplugStick(stick) }
            let media = MediaScanner.scan(mounts: Self.mounts)
            let disk = try #require(media.first { $0.devnode == "/dev/sda" }, "\(media)")
            let partition = try #require(media.first { $0.devnode == "/dev/sda1" }, "\(media)")
            #expect(disk.kind == .disk && partition.kind == .partition)
            #expect(partition.label == "TECH STICK" && partition.fileSystem == "vfat" && partition.uuid == "1234-ABCD")
            #expect(partition.serial == "4C530001230617114345" && partition.vendor == "SanDisk" && partition.model == "Cruzer Blade")
            #expect(disk.sizeBytes == 64 << 20 && partition.sizeBytes == (64 << 20) - (2048 * 512))
            #expect(partition.removable && disk.removable, "the partition's removable flag is its disk's")
            #expect(!partition.writeProtected)
            #expect(partition.deviceNumber == "8:1")
            #expect(partition.mountPoints == ["/media/tech/TECH STICK"], "mountinfo's \\040 is a space")
            #expect(disk.mountPoints.isEmpty)
            #expect(try MediaSelection.choose(nil, among: media, wholeDisks: false).devnode == "/dev/sda1")
            #expect(try MediaSelection.choose("/dev/sda", among: media, wholeDisks: false).devnode == "/dev/sda1")
        }

        @Test("two sticks: no name is ambiguous, a label picks one; the write-protect switch is read")
        func twoSticks() throws {
            let first = try harness.plugStick(label: "ONE", serial: "S1", index: 0)
            defer { try? harness.unplugStick(first) }
            let second = try harness.plugStick(label: "TWO", serial: "S2", index: 1, fileSystem: "exfat", writeProtected: true)
            defer { try? harness.unplugStick(second) }
            let media = MediaScanner.scan(mounts: MountTable(entries: []))
            #expect(throws: MediaSelection.Failure.self) { try MediaSelection.choose(nil, among: media, wholeDisks: false) }
            let two = try MediaSelection.choose("TWO", among: media, wholeDisks: false)
            #expect(two.devnode == "/dev/sdb1" && two.fileSystem == "exfat" && two.writeProtected)
            // The command says so before anything is touched: a usage error naming both.
            let export = try CLI.run(["export", "--device", "emulated:aurora-c5540", "--all", "--to-media"])
            #expect(export.status == 2, "\(export.stderr)")
            #expect(export.stderr.contains("names 2 sticks"), "\(export.stderr)")
            let writeProtected = try CLI.run(["export", "--device", "emulated:aurora-c5540", "--all", "--to-media", "TWO"])
            #expect(writeProtected.status == 1 && writeProtected.stderr.contains("write-protect switch"), "\(writeProtected.stderr)")
        }

        @Test("watch: a stick's arrival and departure, from udev events")
        func hotplug() throws {
            let monitor = try MediaMonitor()
            #expect(monitor.present().isEmpty)
            let stick = try harness.plugStick(label: "HOT", serial: "S3")
            var added: [String] = []
            while added.count < 2, let event = try monitor.next(timeout: .seconds(5)) {
                if event.action == .add { added.append(event.medium.devnode) }
            }
            #expect(Set(added) == ["/dev/sda", "/dev/sda1"], "\(added)")
            try harness.unplugStick(stick)
            var removed: [String] = []
            while removed.count < 2, let event = try monitor.next(timeout: .seconds(5)) {
                if event.action == .remove {
                    removed.append(event.medium.devnode)
                    if event.medium.devnode == "/dev/sda1" { #expect(event.medium.label == "HOT", "a remove says what its add said") }
                }
            }
            #expect(Set(removed) == ["/dev/sda", "/dev/sda1"], "\(removed)")
        }
    }
}
