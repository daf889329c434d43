/// Which stick a name means: a partition's label or a device node; no name, the one stick
/// plugged in. A name that matches partitions of two sticks is ambiguous, never a guess.
public enum MediaSelection {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func choose(_ name: String?, among media: [RemovableMedium]) throws(Failure) -> RemovableMedium {
        let chosen = name.map { name in media.filter { $0.label == name || $0.devnode == name } } ?? media.filter { $0.kind == .disk }
        let disks = Set(chosen.map(\.diskNode))
        guard disks.count == 1, let medium = chosen.first else {
            let present = media.map { "\($0.devnode)\($0.label.map { " (\($0))" } ?? "")" }.joined(separator: ", ")
            if disks.isEmpty {
                throw Failure(description: "no stick is called \(name ?? "") (present: \(present))")
            }
            throw Failure(
                description:
                    "\(name.map { "'\($0)'" } ?? "no name") names \(disks.count) sticks (\(disks.sorted().joined(separator: ", "))): give the label or the device"
            )
        }
        return medium
    }
}

extension RemovableMedium {
    /// The stick's whole disk: itself, or the disk a partition is on.
    public var diskNode: String { kind == .disk ? devnode : MediaEject.diskNode(of: devnode) }
}
