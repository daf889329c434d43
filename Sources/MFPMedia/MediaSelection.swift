/// Which stick a name means: a partition's label or a device node; no name, the one stick
/// plugged in. A name that matches partitions of two sticks is ambiguous, never a guess.
public enum MediaSelection {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// The name matched several sticks (false: none).
        public var ambiguous: Bool
    }

    /// With `wholeDisks` (eject), no name means the one disk; without (reading and writing), the
    /// one partition with a file system (a disk without a partition table counts as one).
    public static func choose(_ name: String?, among media: [RemovableMedium], wholeDisks: Bool = true) throws(Failure) -> RemovableMedium {
        let chosen =
            name.map { name in media.filter { $0.label == name || $0.devnode == name || (!wholeDisks && $0.diskNode == name) } }
            ?? media.filter { wholeDisks ? $0.kind == .disk : $0.fileSystem != nil }
        let disks = Set(chosen.map(\.diskNode))
        guard disks.count == 1, chosen.count == 1 || wholeDisks || name != nil, let medium = preferred(chosen, wholeDisks: wholeDisks)
        else {
            let present = media.map { "\($0.devnode)\($0.label.map { " (\($0))" } ?? "")" }.joined(separator: ", ")
            if disks.isEmpty {
                throw Failure(description: "no stick is called \(name ?? "") (present: \(present))", ambiguous: false)
            }
            let what = disks.count > 1 ? "\(disks.count) sticks (\(disks.sorted().joined(separator: ", ")))" : "\(chosen.count) partitions"
            throw Failure(
                description: "\(name.map { "'\($0)'" } ?? "no name") names \(what): give the label or the device", ambiguous: true)
        }
        return medium
    }

    /// A device node of a disk, for reading and writing, means its partition with a file system.
    private static func preferred(_ chosen: [RemovableMedium], wholeDisks: Bool) -> RemovableMedium? {
        if wholeDisks || chosen.count == 1 { return chosen.first }
        let filed = chosen.filter { $0.fileSystem != nil }
        return filed.count == 1 ? filed[0] : nil
    }
}

extension RemovableMedium {
    /// The stick's whole disk: itself, or the disk a partition is on.
    public var diskNode: String { kind == .disk ? devnode : MediaEject.diskNode(of: devnode) }
}
