/// The mounts of this process's mount namespace, from `/proc/self/mountinfo` (proc(5)): which
/// folder each block device (by major:minor) is mounted on, with which file system and options.
public struct MountTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var mountID: Int
        public var major: UInt32
        public var minor: UInt32
        /// The folder of the file system that is mounted (`/` unless a bind mount of a subfolder).
        public var root: String
        public var mountPoint: String
        /// Per-mount options ("rw", "ro", "nosuid", ...).
        public var options: [String]
        public var fileSystem: String
        public var source: String
        /// Per-superblock options ("rw", "errors=remount-ro", ...).
        public var superOptions: [String]

        /// Read-only as mounted (either the mount or its file system).
        public var isReadOnly: Bool { options.contains("ro") || superOptions.contains("ro") }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Parses mountinfo text; lines that do not have its shape are skipped.
    public init(parsing text: String) {
        entries = text.split(separator: "\n").compactMap { Self.entry(String($0)) }
    }

    /// The mounts of one block device.
    public func mounts(major: UInt32, minor: UInt32) -> [Entry] {
        entries.filter { $0.major == major && $0.minor == minor }
    }

    /// `36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue`:
    /// six fields, optional fields up to a lone `-`, then type, source and super options.
    static func entry(_ line: String) -> Entry? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
            fields.count >= separator + 3, let id = Int(fields[0])
        else { return nil }
        let numbers = fields[2].split(separator: ":")
        guard numbers.count == 2, let major = UInt32(numbers[0]), let minor = UInt32(numbers[1]) else { return nil }
        return Entry(
            mountID: id, major: major, minor: minor, root: unescape(fields[3]), mountPoint: unescape(fields[4]),
            options: fields[5].split(separator: ",").map(String.init), fileSystem: fields[separator + 1],
            source: unescape(fields[separator + 2]),
            superOptions: fields.count > separator + 3 ? fields[separator + 3].split(separator: ",").map(String.init) : [])
    }

    /// The kernel writes space, tab, newline and backslash in paths as `\040`, `\011`, `\012`, `\134`.
    static func unescape(_ text: String) -> String {
        EscapedText.decode(text, marker: "\\", digits: 3, radix: 8)
    }
}
