/// One USB block device or one of its partitions, as udev, sysfs and the mount table describe it.
public struct RemovableMedium: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case disk, partition }

    /// `/dev/sda1`.
    public var devnode: String
    public var kind: Kind
    /// `8:1`.
    public var deviceNumber: String
    public var vendor: String?
    public var model: String?
    public var serial: String?
    /// The file system's label and UUID (partitions, or a disk formatted without a partition table).
    public var label: String?
    public var uuid: String?
    /// `vfat`, `exfat`, ... as udev's blkid probe found it.
    public var fileSystem: String?
    public var sizeBytes: UInt64
    /// The disk says it is removable (sysfs `removable`).
    public var removable: Bool
    /// The kernel refuses writes to the block device (sysfs `ro`: a write-protect switch).
    public var writeProtected: Bool
    /// usb-storage or uas.
    public var driver: String?
    public var mountPoints: [String]
    /// Mounted read-only (the mount or its file system).
    public var mountedReadOnly: Bool
    /// Free and total bytes of the mounted file system (statvfs), when it is mounted.
    public var freeBytes: UInt64?
    public var fileSystemBytes: UInt64?
}
