import Testing

@testable import MFPMedia

/// The mount table as the kernel writes it (proc(5)): a stick's partition found by major:minor,
/// escaped paths, optional fields, read-only mounts.
@Suite struct MountTableTests {
    static let text = """
        22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw
        36 22 8:1 / /media/tech/MFP\\040STICK rw,nosuid,nodev,relatime shared:80 - vfat /dev/sda1 rw,fmask=0022,dmask=0022,codepage=437,errors=remount-ro
        37 22 8:17 / /mnt/ro ro,relatime - exfat /dev/sdb1 rw,iocharset=utf8
        38 22 8:33 / /mnt/sro rw,relatime - vfat /dev/sdc1 ro
        39 22 8:1 /backups /srv/bind rw,relatime shared:81 master:80 - vfat /dev/sda1 rw
        not a mount line
        """

    @Test("a partition's mounts are found by major:minor, bind mounts included, with the escaped space undone")
    func byDeviceNumber() {
        let table = MountTable(parsing: Self.text)
        #expect(table.entries.count == 5)
        let stick = table.mounts(major: 8, minor: 1)
        #expect(stick.map(\.mountPoint) == ["/media/tech/MFP STICK", "/srv/bind"])
        #expect(stick.map(\.root) == ["/", "/backups"])
        #expect(stick[0].fileSystem == "vfat" && stick[0].source == "/dev/sda1")
        #expect(!stick[0].isReadOnly)
        #expect(table.mounts(major: 8, minor: 2).isEmpty)
    }

    @Test("read-only is the mount's option or the file system's")
    func readOnly() {
        let table = MountTable(parsing: Self.text)
        #expect(table.mounts(major: 8, minor: 17).first?.isReadOnly == true)
        #expect(table.mounts(major: 8, minor: 33).first?.isReadOnly == true)
    }

    @Test("escapes: \\\\134 is a backslash, \\\\011 a tab; a lone backslash stays")
    func escapes() {
        #expect(MountTable.unescape("a\\134b\\011c") == "a\\b\tc")
        #expect(MountTable.unescape("odd\\") == "odd\\")
        #expect(MediaScanner.unescapeUDev("MFP\\x20STICK") == "MFP STICK")
    }
}

@Suite struct MediaEjectTests {
    @Test("a partition's disk: /dev/sda1 is on /dev/sda, /dev/mmcblk0p1 on /dev/mmcblk0, a disk is its own")
    func diskNodes() {
        #expect(MediaEject.diskNode(of: "/dev/sda1") == "/dev/sda")
        #expect(MediaEject.diskNode(of: "/dev/sdb12") == "/dev/sdb")
        #expect(MediaEject.diskNode(of: "/dev/mmcblk0p1") == "/dev/mmcblk0")
        #expect(MediaEject.diskNode(of: "/dev/sdc") == "/dev/sdc")
    }
}

@Suite struct MediaSelectionTests {
    static func medium(_ devnode: String, _ kind: RemovableMedium.Kind, label: String? = nil) -> RemovableMedium {
        RemovableMedium(
            devnode: devnode, kind: kind, deviceNumber: "8:0", vendor: nil, model: nil, serial: nil, label: label, uuid: nil,
            fileSystem: nil, sizeBytes: 0, removable: true, writeProtected: false, driver: nil, mountPoints: [],
            mountedReadOnly: false, freeBytes: nil, fileSystemBytes: nil)
    }
    static let two = [
        medium("/dev/sda", .disk), medium("/dev/sda1", .partition, label: "BACKUP"), medium("/dev/sdb", .disk),
        medium("/dev/sdb1", .partition, label: "BACKUP"), medium("/dev/sdb2", .partition, label: "OTHER"),
    ]

    @Test("a label or a device names one stick; a label on two sticks, or no name with two sticks, is ambiguous")
    func choose() throws {
        #expect(try MediaSelection.choose("OTHER", among: Self.two).devnode == "/dev/sdb2")
        #expect(try MediaSelection.choose("/dev/sda1", among: Self.two).diskNode == "/dev/sda")
        #expect(throws: MediaSelection.Failure.self) { try MediaSelection.choose("BACKUP", among: Self.two) }
        #expect(throws: MediaSelection.Failure.self) { try MediaSelection.choose(nil, among: Self.two) }
        #expect(throws: MediaSelection.Failure.self) { try MediaSelection.choose("NOPE", among: Self.two) }
        #expect(try MediaSelection.choose(nil, among: Array(Self.two.prefix(2))).devnode == "/dev/sda")
    }
}
