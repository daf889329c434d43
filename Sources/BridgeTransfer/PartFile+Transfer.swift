extension PartFile {
    /// Opens `path.part` for one transfer: kept when its newest checkpoint belongs to
    /// `transferID` (the transfer resumes), otherwise removed and started afresh, so that a
    /// resume never continues onto another content's bytes.
    public static func open(path: String, transferID: UInt64) throws(FileSystemError) -> PartFile {
        let part = try open(path: path)
        if part.checkpoints().last?.transferID == transferID { return part }
        // Another content, or nothing durable yet: nothing of it can be continued.
        if try part.size() == 0 && part.checkpoints().isEmpty { return part }
        try part.discard()
        return try open(path: path)
    }
}
