import BridgeSystem
import BridgeTransfer
import Foundation
import Glibc // O_* and E* constants only; the calls go through BridgeSystem
import Synchronization

/// The machine's Advanced Box / Mail Box documents as one byte stream (a container: per document a small header — id, name, size — then its bytes; see ``BoxContainer``), kept small on disk: content that was never imported is generated from a seed on read.
///
/// On disk, in the box folder (`STATE/box`, the `directory` given to ``init(directory:seed:generatedSize:)``):
///
/// | file | what |
/// | --- | --- |
/// | `manifest.json` | the current content: `generated` (size, seed) or `imported` (slot, size, chain hash); replaced only with ``DurableFile`` (write, fsync, rename, fsync the folder): its replacement is the one atomic step of an apply |
/// | `slot-a`, `slot-b` | imported content: the slot the manifest names (at most one outside an apply) |
/// | `staging.part`, `staging.part.ckpt` | an import being received (``PartFile``), kept across restarts |
/// | `apply.json` | present only while an apply runs: the slot, size and chain hash it installs; what recovery reads |
///
/// Other files in the folder (the emulator keeps its export journal there) are left alone.
///
/// R3, ``applyStaged(expectedSize:expectedChain:)``: record the intent, verify the staging, rename
/// it to the free slot, replace the manifest (the commit), remove the old slot and the staging's
/// sidecar, remove the intent. A crash before the commit leaves the old manifest: recovery moves the
/// staged file back to `staging.part` (the import is still staged, checkpoints included). A crash
/// after it leaves the new manifest: recovery finishes the clean-up. Either way ``recovery`` says which.
///
/// Thread safety: every call takes one lock (an apply holds it for its whole run, which reads the
/// staging once). Readers (``source()``) hold their own descriptor: an imported slot removed by a
/// later apply or ``regenerate(size:seed:)`` stays readable through it, so an export in progress
/// keeps the content it started with.
public final class BoxStore: Sendable {
    let directory: String
    /// What recovery found at open, for the log and tests: nil, or e.g. "apply was interrupted: the box has the old content" / "... the new content".
    public let recovery: String?
    private let state: Mutex<State>

    static let recoveredOld = "apply was interrupted: the box has the old content"
    static let recoveredNew = "apply was interrupted: the box has the new content"

    struct State: Sendable {
        var content: BoxContent
        /// The layout of generated content, computed once per content.
        var generated: GeneratedBoxSource?
        /// The summary of imported content, computed once per content.
        var importedSummary: (documents: Int, bytes: UInt64)?
        /// The chain at every 1 MiB block of the content, as a device keeps a digest per block:
        /// with it an export hashes nothing while it sends. Known from when this process set the
        /// content (``regenerate(size:seed:)``, or an apply's verification); nil after a restart,
        /// when exports hash as they send (opening never reads the content).
        var index: BlockChainIndex?

        init(content: BoxContent, index: BlockChainIndex? = nil) {
            self.content = content
            self.index = index
        }
    }

    var manifestPath: String { directory + "/manifest.json" }
    var intentPath: String { directory + "/apply.json" }
    /// The staging's final name, as ``PartFile`` counts: the bytes are in `staging.part`.
    var stagingName: String { directory + "/staging" }
    var stagingPath: String { stagingName + ".part" }
    var stagingSidecarPath: String { stagingName + ".part.ckpt" }
    func slotPath(_ slot: BoxSlot) -> String { directory + "/slot-" + slot.rawValue }

    /// Opens STATE/box/ (creating it: generated content of `generatedSize` bytes from `seed` on first open). Recovers from a crash during apply first (see applyStaged).
    ///
    /// `directory` is the box folder itself (`STATE/box`). A box that exists keeps its content
    /// whatever `seed` and `generatedSize` say.
    public init(directory: String, seed: UInt64, generatedSize: UInt64) throws {
        self.directory = directory
        let exists = Syscall.exists(directory)
        try DurableFile.makeDirectory(directory)
        if !exists {
            try DurableFile.syncDirectory(Self.parent(of: directory))
        }
        Self.removeTemporaries(in: directory)
        var content: BoxContent
        if let manifest = try Self.readJSON(BoxManifest.self, at: directory + "/manifest.json", what: "box manifest") {
            content = try manifest.content(in: directory + "/manifest.json")
        } else {
            content = .generated(size: generatedSize, seed: seed)
            try DurableFile.write(try BoxManifest(content).encoded(), to: directory + "/manifest.json")
        }
        recovery = try Self.recover(directory: directory, content: content)
        state = Mutex(State(content: content))
        try removeStraySlots(keeping: content)
        if case .imported(let slot, let size, _) = content {
            guard let info = try? Syscall.stat(slotPath(slot)), UInt64(info.st_size) == size else {
                throw EmulatorError(
                    "the box content \(slotPath(slot)) is missing or not the \(size) bytes its manifest says: "
                        + "the box folder was damaged; move \(directory) away to start with generated content")
            }
        }
    }

    /// The current content as a stream source (generated, or the imported file).
    public func source() throws -> any StreamSource {
        try state.withLock { state -> any StreamSource in
            let source: any StreamSource =
                switch state.content {
                case .generated(let size, let seed): Self.generatedSource(&state, size: size, seed: seed)
                case .imported(let slot, _, _): try FileSource(path: slotPath(slot))
                }
            return state.index.map { IndexedSource(source, index: $0) } ?? source
        }
    }

    public func currentSize() throws -> UInt64 {
        state.withLock { $0.content.size }
    }

    /// Document count and total size, for status and reports.
    ///
    /// Imported content counts its well-formed documents (the store takes whatever bytes an import
    /// carried once they verify; ``documents()`` says where a foreign stream stops parsing).
    public func summary() throws -> (documents: Int, bytes: UInt64) {
        try state.withLock { state in
            switch state.content {
            case .generated(let size, let seed):
                return (Self.generatedSource(&state, size: size, seed: seed).documentCount, size)
            case .imported(let slot, let size, _):
                if let cached = state.importedSummary { return cached }
                let walk = try Self.walk(path: slotPath(slot), size: size)
                let summary = (walk.documents.count, size)
                state.importedSummary = summary
                return summary
            }
        }
    }

    /// Every document's header, and where the content stops being a container (nil: it is one).
    func documents() throws -> BoxContainer.Walk {
        try state.withLock { state in
            switch state.content {
            case .generated(let size, let seed):
                let source = Self.generatedSource(&state, size: size, seed: seed)
                return BoxContainer.Walk(documents: (0..<source.documentCount).map(source.document), problem: nil)
            case .imported(let slot, let size, _):
                return try Self.walk(path: slotPath(slot), size: size)
            }
        }
    }

    /// A durable sink for an import being received (STATE/box/staging.part and its .ckpt sidecar): reopening it after a crash keeps what was checkpointed, so a resumed import continues.
    ///
    /// Close it before ``applyStaged(expectedSize:expectedChain:)``: the apply renames its file.
    public func stagingSink() throws -> PartFile {
        try state.withLock { _ in try PartFile.open(path: stagingName) }
    }

    /// Throws away a staged import.
    public func discardStaged() throws {
        try state.withLock { _ in
            try Self.remove(stagingPath)
            try Self.remove(stagingSidecarPath)
            try DurableFile.syncDirectory(directory)
        }
    }

    /// R3: makes the fully received staging the box content in ONE atomic step (an A/B swap: the staged file becomes slot A or B, then a small manifest naming the current slot is replaced with DurableFile's write-fsync-rename-fsync; the old slot is removed only after). After a crash at any point the box has exactly the old content or exactly the new one, and init's recovery says which.
    ///
    /// Verifies the staging first (its size and its chain hash, read in full); a mismatch throws an
    /// ``EmulatorError`` that says what differs, and the box keeps its old content and the staging.
    public func applyStaged(expectedSize: UInt64, expectedChain: ChainHash, at appliedAt: Date = Date()) throws {
        try applyStaged(expectedSize: expectedSize, expectedChain: expectedChain, at: appliedAt, afterStep: { _ in })
    }

    /// The imported content the box holds (its chain), and when it was applied; nil for generated content.
    public func importedContent() throws -> (chain: ChainHash, appliedAt: Date?)? {
        try state.withLock { state in
            guard case .imported(_, _, let chain) = state.content else { return nil }
            let manifest = try Self.readJSON(BoxManifest.self, at: manifestPath, what: "box manifest")
            return (chain, manifest?.appliedAt.map { Date(timeIntervalSince1970: TimeInterval($0)) })
        }
    }

    /// The steps of an apply, in order, each durable when `afterStep` hears of it.
    package enum ApplyStep: String, Sendable, CaseIterable {
        /// `apply.json` names the slot, size and chain to install: a crash from here on is reported.
        case intentRecorded = "intent-recorded"
        /// The staging has the expected size and chain hash (and is fsynced).
        case verified
        /// `staging.part` is now the free slot.
        case movedToSlot = "moved-to-slot"
        /// The manifest names the new slot: the box has the new content.
        case committed
        /// The old slot and the staging's sidecar are gone.
        case cleanedUp = "cleaned-up"
        /// `apply.json` is gone: nothing is left to recover.
        case finished
    }

    /// ``applyStaged(expectedSize:expectedChain:)``, calling `afterStep` after each step (the crash
    /// test's child prints the step and may pause there, to widen the window its kill lands in).
    package func applyStaged(
        expectedSize: UInt64, expectedChain: ChainHash, at appliedAt: Date = Date(),
        afterStep: (ApplyStep) -> Void
    ) throws {
        try state.withLock { state in
            let old = state.content
            let target: BoxSlot = if case .imported(let slot, _, _) = old { slot.other } else { .a }
            let new = BoxContent.imported(slot: target, size: expectedSize, chain: expectedChain)
            try DurableFile.write(try BoxIntent(slot: target, size: expectedSize, chain: expectedChain).encoded(), to: intentPath)
            afterStep(.intentRecorded)
            let index: BlockChainIndex
            do {
                index = try Self.verify(stagingPath, expectedSize: expectedSize, expectedChain: expectedChain)
            } catch {
                // Nothing moved: the box has its old content and the import stays staged.
                try Self.remove(intentPath)
                try DurableFile.syncDirectory(directory)
                throw error
            }
            afterStep(.verified)
            do throws(SystemError) {
                try Syscall.rename(stagingPath, to: slotPath(target))
            } catch {
                try? Self.remove(intentPath)
                try? DurableFile.syncDirectory(directory)
                throw FileSystemError(error, operation: "rename the staged box import to", path: slotPath(target))
            }
            try DurableFile.syncDirectory(directory)
            afterStep(.movedToSlot)
            do {
                try DurableFile.write(try BoxManifest(new, appliedAt: appliedAt).encoded(), to: manifestPath)
            } catch {
                // The old manifest stands (DurableFile replaces it whole or not at all): put the
                // staging back, as recovery would.
                _ = try? Syscall.rename(slotPath(target), to: stagingPath)
                try? Self.remove(intentPath)
                try? DurableFile.syncDirectory(directory)
                throw error
            }
            state = State(content: new, index: index)
            afterStep(.committed)
            if case .imported(let slot, _, _) = old { try Self.remove(slotPath(slot)) }
            try Self.remove(stagingSidecarPath)
            try DurableFile.syncDirectory(directory)
            afterStep(.cleanedUp)
            try Self.remove(intentPath)
            try DurableFile.syncDirectory(directory)
            afterStep(.finished)
        }
    }

    /// Sets generated content of a new size (emulate-ctl `box size BYTES`, for tests and benchmarks); drops imported content.
    ///
    /// A staged import is kept.
    public func regenerate(size: UInt64, seed: UInt64) throws {
        // The block index first (it reads the content once), so that the next export has it.
        let index = try BlockChainIndex.of(GeneratedBoxSource(size: size, seed: seed)).index
        try state.withLock { state in
            let content = BoxContent.generated(size: size, seed: seed)
            try DurableFile.write(try BoxManifest(content).encoded(), to: manifestPath)
            state = State(content: content, index: index)
            try removeStraySlots(keeping: content)
        }
    }

    /// The chain hash of the current content (reads it all: for tests and the fault campaign's invariant checks).
    public func contentChain() throws -> ChainHash {
        try BlockChainIndex.of(try source()).chain
    }
}

// MARK: - Recovery and files

extension BoxStore {
    /// Finishes or undoes an apply that a crash interrupted (`apply.json` present). The manifest
    /// decides: naming the intent's slot, the apply committed (finish the clean-up); otherwise it did
    /// not (move the staged file back to `staging.part` if it had been moved, never the slot the
    /// manifest names).
    static func recover(directory: String, content: BoxContent) throws -> String? {
        let intentPath = directory + "/apply.json"
        guard let intent = try readJSON(BoxIntent.self, at: intentPath, what: "box apply record") else { return nil }
        let staging = directory + "/staging.part"
        let target = directory + "/slot-" + intent.slot.rawValue
        let verdict: String
        // An apply always installs the slot the manifest did not name: naming it now means committed.
        if case .imported(let slot, _, _) = content, slot == intent.slot {
            // Committed: only the clean-up was left (the old slot goes with the stray slots).
            if !Syscall.exists(staging) { try remove(staging + ".ckpt") }
            verdict = recoveredNew
        } else {
            if Syscall.exists(target) && !Syscall.exists(staging) {
                try FileSystemError.translating("move the staged box import back to", path: staging) { () throws(SystemError) in
                    try Syscall.rename(target, to: staging)
                }
            }
            verdict = recoveredOld
        }
        try DurableFile.syncDirectory(directory)
        try remove(intentPath)
        try DurableFile.syncDirectory(directory)
        return verdict
    }

    /// Removes the slots the manifest does not name (an old slot whose removal a crash cut short).
    func removeStraySlots(keeping content: BoxContent) throws {
        var removed = false
        for slot in BoxSlot.allCases {
            if case .imported(let kept, _, _) = content, kept == slot { continue }
            if Syscall.exists(slotPath(slot)) {
                try Self.remove(slotPath(slot))
                removed = true
            }
        }
        if removed { try DurableFile.syncDirectory(directory) }
    }

    /// DurableFile's temporaries (`manifest.json.PID.tmp`, `apply.json.PID.tmp`) a crash left behind.
    static func removeTemporaries(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where (name.hasPrefix("manifest.json.") || name.hasPrefix("apply.json.")) && name.hasSuffix(".tmp") {
            _ = try? Syscall.unlink(directory + "/" + name)
        }
    }

    static func generatedSource(_ state: inout State, size: UInt64, seed: UInt64) -> GeneratedBoxSource {
        if let cached = state.generated, cached.size == size, cached.seed == seed { return cached }
        let source = GeneratedBoxSource(size: size, seed: seed)
        state.generated = source
        return source
    }

    /// Checks that `path` holds exactly `expectedSize` bytes whose chain is `expectedChain`, then
    /// fsyncs it; returns its block index, computed on the way.
    static func verify(_ path: String, expectedSize: UInt64, expectedChain: ChainHash) throws -> BlockChainIndex {
        let opened: Int32
        do throws(SystemError) {
            opened = try Syscall.open(path, O_RDONLY | O_CLOEXEC)
        } catch  where error.errno == ENOENT {
            throw EmulatorError("no box import is staged (\(path) is missing): send it first; the box keeps its old content")
        } catch {
            throw FileSystemError(error, operation: "open", path: path)
        }
        let file = FileDescriptor(takingOwnershipOf: opened)
        let fd = file.raw
        let info = try FileSystemError.translating("stat", path: path) { () throws(SystemError) in try Syscall.fstat(fd) }
        let size = UInt64(info.st_size)
        guard size == expectedSize else {
            let why = size < expectedSize ? "it is incomplete: resume the import" : "it is not this import: discard it and import again"
            throw EmulatorError(
                "the staged box import has \(size) bytes, not the \(expectedSize) announced (\(why)); the box keeps its old content")
        }
        var indexing = IndexingChain()
        let bufferSize = 4 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset: UInt64 = 0
        while offset < size {
            let count = Int(min(UInt64(bufferSize), size - offset))
            try readFully(fd, path: path, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), at: offset)
            indexing.absorb(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += UInt64(count)
        }
        guard indexing.chain.digest == expectedChain else {
            throw EmulatorError(
                "the staged box import does not match what was sent: its chain hash is \(indexing.chain.digest), the sender's \(expectedChain) "
                    + "(discard the staging and import again); the box keeps its old content")
        }
        try FileSystemError.translating("fsync", path: path) { () throws(SystemError) in try Syscall.fsync(fd) }
        _ = consume file
        return indexing.index
    }

    static func walk(path: String, size: UInt64) throws -> BoxContainer.Walk {
        let file = try FileSystemError.translating("open", path: path) { () throws(SystemError) -> FileDescriptor in
            try FileDescriptor(opening: path, O_RDONLY | O_CLOEXEC)
        }
        let fd = file.raw
        let walk = try BoxContainer.walk(size: size) { offset, count in
            var bytes = [UInt8](repeating: 0, count: count)
            try bytes.withUnsafeMutableBytes { try readFully(fd, path: path, into: $0, at: offset) }
            return bytes
        }
        _ = consume file // closed only now: `fd` was in use until here
        return walk
    }

    static func readFully(_ fd: Int32, path: String, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws {
        let done = try FileSystemError.translating("read", path: path) { () throws(SystemError) in
            try Syscall.preadFully(fd, into: buffer, at: offset)
        }
        guard done == buffer.count else {
            throw FileSystemError(operation: "read (the file is shorter than expected)", path: path, errno: EIO)
        }
    }

    /// unlink, where a missing file is fine.
    static func remove(_ path: String) throws {
        _ = try FileSystemError.translating("remove", path: path) { () throws(SystemError) in try Syscall.removeIfPresent(path) }
    }

    static func parent(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    static func readJSON<T: Decodable>(_ type: T.Type, at path: String, what: String) throws -> T? {
        guard let bytes = try DurableFile.read(path) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw EmulatorError(
                "the \(what) \(path) is unreadable (\(error)); move \(parent(of: path)) away to start with generated content")
        }
    }
}
