import BridgeTransfer

/// Checked before a machine is reserved: the output folder takes files and has room for what the
/// machine will send, so that a reservation is never taken for a transfer that cannot finish here.
enum LocalRoom {
    /// - Parameters:
    ///   - bytes: what the machine announced (nil when it does not say: only writability is checked).
    ///   - alreadyThere: bytes an interrupted run left in the part file, which a rerun keeps.
    static func check(forWriting path: String, bytes: UInt64?, alreadyThere: UInt64) throws(BridgeError) {
        let free: UInt64
        do {
            free = try FolderSpace.probe(folderOf: path)
        } catch {
            throw BridgeError(.failure, "\(error) Nothing was reserved on the machine: choose another output folder, or fix this one")
        }
        guard let bytes else { return }
        // Room for the payload and a margin for the trailer and the checkpoint records.
        let needed = bytes > alreadyThere ? bytes - alreadyThere + (1 << 20) : 1 << 20
        guard free >= needed else {
            throw BridgeError(
                .failure,
                "the folder of \(path) has \(megabytes(free)) free, the backup needs \(megabytes(needed)) more: "
                    + "free some space or choose another folder; nothing was reserved on the machine")
        }
    }

    static func megabytes(_ bytes: UInt64) -> String {
        bytes >= 10 << 20 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
