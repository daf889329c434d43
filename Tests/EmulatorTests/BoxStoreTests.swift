import BridgeTransfer
import Foundation
import MFPKit
import Testing

@testable import MFPEmulator

/// The emulator's box documents: generated content, durable staging, verified apply, and R3's
/// atomic A/B swap, down to a real kill -9 in the middle of it.
@Suite struct BoxStoreTests {
    static func open(_ directory: String, seed: UInt64 = 1, size: UInt64 = 256 << 10) throws -> BoxStore {
        try BoxStore(directory: directory, seed: seed, generatedSize: size)
    }

    static func bytes(of source: any StreamSource) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(source.size))
        try out.withUnsafeMutableBytes { try source.read(at: 0, into: $0) }
        return out
    }

    /// Writes `source` into the store's staging as a receiver would (chunks at offsets, then fsync).
    @discardableResult
    static func stage(
        _ source: any StreamSource, into store: BoxStore, from start: UInt64 = 0,
        upTo end: UInt64? = nil
    ) throws -> ChainHash {
        let sink = try store.stagingSink()
        defer { sink.close() }
        let end = end ?? source.size
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var offset = start
        while offset < end {
            let count = Int(min(UInt64(buffer.count), end - offset))
            try buffer.withUnsafeMutableBytes { try source.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
            try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset) }
            offset += UInt64(count)
        }
        try sink.sync()
        return StreamChain.hash(of: try bytes(of: source))
    }

    static func files(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    // MARK: - Generated content

    @Test func generatedContentIsDeterministicOfTheAskedSizeAndAContainer() throws {
        var random = FixtureRandom(seed: 0xB0C5)
        let clock = ContinuousClock()
        for size: UInt64 in [0, 1, 63, 64, 65, 127, 128, 4_096, 100_003, 1 << 20, (3 << 20) + 17] {
            let first = try Self.open(try temporaryDirectory(), seed: 7, size: size)
            let second = try Self.open(try temporaryDirectory(), seed: 7, size: size)
            let source = try first.source()
            #expect(source.size == size)
            #expect(try first.currentSize() == size)
            let bytes = try Self.bytes(of: source)
            #expect(try Self.bytes(of: second.source()) == bytes, "size \(size): the same seed gave other bytes")
            #expect(try first.contentChain() == StreamChain.hash(of: bytes))
            if size >= 8 {
                let other = try Self.open(try temporaryDirectory(), seed: 8, size: size)
                #expect(try Self.bytes(of: other.source()) != bytes, "size \(size): another seed gave the same bytes")
            }

            // A container: the headers parsed from the bytes are the documents the store lists,
            // covering the stream exactly (below one header's size there is only filler).
            let listed = try first.documents()
            #expect(listed.problem == nil)
            let parsed = BoxContainer.walk(size: size) { offset, count in Array(bytes[Int(offset)..<(Int(offset) + count)]) }
            #expect(parsed.documents == listed.documents, "size \(size)")
            #expect(
                (parsed.problem == nil) == (size == 0 || size >= UInt64(BoxContainer.headerSize)), "size \(size): \(parsed.problem ?? "")")
            let summary = try first.summary()
            #expect(summary.bytes == size)
            #expect(summary.documents == listed.documents.count)
            if size >= UInt64(BoxContainer.headerSize) {
                #expect(listed.documents.reduce(0) { $0 + UInt64(BoxContainer.headerSize) + $1.size } == size)
                #expect(listed.documents.map(\.id) == (1...UInt32(listed.documents.count)).map { $0 })
                #expect(listed.documents.allSatisfy { $0.name.hasPrefix("advanced-box/") || $0.name.hasPrefix("mail-box/") })
            }

            // Any range reads as the same bytes as the whole (a resumed export reads from the middle).
            for _ in 0..<40 where size > 0 {
                let offset = random.int(0...Int(size - 1))
                let count = random.int(0...min(Int(size) - offset, 70_000))
                var slice = [UInt8](repeating: 0, count: count)
                try slice.withUnsafeMutableBytes { try source.read(at: UInt64(offset), into: $0) }
                #expect(slice == Array(bytes[offset..<(offset + count)]), "size \(size): range \(offset)+\(count)")
            }
        }
        // A box that exists keeps its content whatever the seed and size say.
        let directory = try temporaryDirectory()
        let chain = try Self.open(directory, seed: 3, size: 50_000).contentChain()
        let reopened = try Self.open(directory, seed: 4, size: 60_000)
        #expect(try reopened.currentSize() == 50_000)
        #expect(try reopened.contentChain() == chain)
        #expect(reopened.recovery == nil)

        let large = try Self.open(try temporaryDirectory(), seed: 1, size: (3 << 20) + 17).summary()
        #expect(large.documents >= 4, "a 3 MiB box holds several documents, not \(large.documents)")
        let started = clock.now
        _ = try Self.open(try temporaryDirectory(), seed: 1, size: 16 << 20).contentChain()
        print("box store: 16 MiB of generated content read and hashed in \(clock.now - started)")
    }

    /// Generated content costs the manifest on disk, whatever its size; a range anywhere reads directly.
    @Test func aLargeGeneratedBoxIsComputedNotStored() throws {
        let directory = try temporaryDirectory()
        let clock = ContinuousClock()
        let started = clock.now
        let store = try Self.open(directory, seed: 11, size: 4 << 30)
        let summary = try store.summary()
        let source = try store.source()
        var tail = [UInt8](repeating: 0, count: 1 << 20)
        try tail.withUnsafeMutableBytes { try source.read(at: source.size - (1 << 20), into: $0) }
        let elapsed = clock.now - started
        #expect(summary.bytes == 4 << 30)
        #expect(summary.documents > 500 && summary.documents <= 70_000)
        #expect(try Self.files(directory) == ["manifest.json"])
        let used = try FileManager.default.attributesOfItem(atPath: directory + "/manifest.json")[.size] as? Int ?? .max
        #expect(used < 4_096)
        // The last document ends exactly at the end.
        let last = try #require(try store.documents().documents.last)
        #expect(last.offset + UInt64(BoxContainer.headerSize) + last.size == 4 << 30)
        print("box store: a 4 GiB generated box (\(summary.documents) documents) opened, summarized and its last MiB read in \(elapsed)")
    }

    // MARK: - Import

    @Test func aStagedImportAppliesExactlyTheSourceBytes() throws {
        let incoming = GeneratedBoxSource(size: (1 << 20) + 5, seed: 1)
        let expected = Self.bytes(ofGenerated: incoming)
        let directory = try temporaryDirectory()
        let store = try Self.open(directory, seed: 2, size: 300_000)
        let oldChain = try store.contentChain()
        // An export that started before the apply keeps reading the content it started with.
        let exportBefore = try store.source()

        let chain = try Self.stage(incoming, into: store)
        #expect(try store.contentChain() == oldChain, "staging changed the content")
        try store.applyStaged(expectedSize: incoming.size, expectedChain: chain)
        #expect(try Self.bytes(of: store.source()) == expected)
        #expect(try store.contentChain() == chain)
        #expect(try store.currentSize() == incoming.size)
        let summary = try store.summary()
        #expect(summary.documents == incoming.documentCount && summary.bytes == incoming.size)
        #expect(try store.documents().documents == (0..<incoming.documentCount).map(incoming.document))
        // The imported file, with the block index the apply's verification computed: exports
        // then send without hashing, and the index is the file's own.
        let applied = try #require(try store.source() as? IndexedSource)
        #expect(applied.base is FileSource)
        #expect(applied.chainIndex == (try BlockChainIndex.of(applied.base).index))
        #expect(try Self.files(directory) == ["manifest.json", "slot-a"])
        #expect(try StreamChain.hash(of: Self.bytes(of: exportBefore)) == oldChain)

        let reopened = try Self.open(directory, seed: 9, size: 1)
        #expect(reopened.recovery == nil)
        #expect(try reopened.contentChain() == chain)

        // The next import goes to the other slot, and the first slot goes.
        let exportOfFirst = try reopened.source()
        let next = GeneratedBoxSource(size: 200_001, seed: 3)
        let nextChain = try Self.stage(next, into: reopened)
        try reopened.applyStaged(expectedSize: next.size, expectedChain: nextChain)
        #expect(try Self.bytes(of: reopened.source()) == Self.bytes(ofGenerated: next))
        #expect(try Self.files(directory) == ["manifest.json", "slot-b"])
        #expect(try Self.bytes(of: exportOfFirst) == expected, "an export lost its content to a later apply")
        #expect(try Self.open(directory).contentChain() == nextChain)

        // Bytes that are no container are kept as they are; the summary counts what parses.
        let foreign = BytesSource(Array("not a box container at all".utf8))
        let foreignChain = try Self.stage(foreign, into: reopened)
        try reopened.applyStaged(expectedSize: foreign.size, expectedChain: foreignChain)
        let foreignSummary = try reopened.summary()
        #expect(foreignSummary.documents == 0 && foreignSummary.bytes == foreign.size)
        #expect(try reopened.documents().problem != nil)
        #expect(try Self.files(directory) == ["manifest.json", "slot-a"])

        // Regenerating drops the imported content; the next open finds the generated box.
        try reopened.regenerate(size: (2 << 20) + 5_000, seed: 9)
        #expect(try Self.files(directory) == ["manifest.json"])
        // The new content's block index is known at once, and it is the content's own.
        let regenerated = try #require(try reopened.source() as? IndexedSource)
        #expect(regenerated.chainIndex == (try BlockChainIndex.of(regenerated.base).index))
        let generatedChain = try Self.open(try temporaryDirectory(), seed: 9, size: (2 << 20) + 5_000).contentChain()
        #expect(try reopened.contentChain() == generatedChain)
        #expect(try Self.open(directory).contentChain() == generatedChain)
    }

    @Test func anApplyWithAWrongChainOrSizeIsRefusedAndKeepsTheOldContent() throws {
        let directory = try temporaryDirectory()
        let store = try Self.open(directory, seed: 2, size: 100_000)
        let oldChain = try store.contentChain()
        let incoming = GeneratedBoxSource(size: 700_000, seed: 5)
        let noise = StreamChain.hash(of: [1, 2, 3])

        func refused(size: UInt64, chain: ChainHash, saying phrase: String) throws {
            let error = #expect(throws: EmulatorError.self) { try store.applyStaged(expectedSize: size, expectedChain: chain) }
            #expect(error?.description.contains(phrase) == true, "\(error?.description ?? "no error")")
            #expect(error?.description.contains("the box keeps its old content") == true)
            #expect(try store.contentChain() == oldChain)
            #expect(try store.currentSize() == 100_000)
            #expect(!(try Self.files(directory)).contains { $0.hasPrefix("slot-") || $0.hasPrefix("apply.json") })
        }

        try refused(size: 700_000, chain: noise, saying: "no box import is staged")
        // Half received: incomplete.
        let chain = try Self.stage(incoming, into: store, upTo: 350_000)
        try refused(size: 700_000, chain: chain, saying: "has 350000 bytes, not the 700000 announced (it is incomplete")
        try Self.stage(incoming, into: store, from: 350_000)
        try refused(size: 700_000, chain: noise, saying: "does not match what was sent")
        try refused(size: 699_999, chain: chain, saying: "has 700000 bytes, not the 699999 announced")
        // One byte changed in the middle.
        let sink = try store.stagingSink()
        var flipped = try sink.read(at: 400_000, count: 1)
        flipped[0] ^= 0x20
        try flipped.withUnsafeBytes { try sink.write($0, at: 400_000) }
        sink.close()
        try refused(size: 700_000, chain: chain, saying: "does not match what was sent")
        flipped[0] ^= 0x20
        let repaired = try store.stagingSink()
        try flipped.withUnsafeBytes { try repaired.write($0, at: 400_000) }
        repaired.close()

        // The staging was kept through every refusal: the right size and chain apply it.
        try store.applyStaged(expectedSize: 700_000, expectedChain: chain)
        #expect(try store.contentChain() == chain)
        #expect(try Self.open(directory).recovery == nil)
    }

    @Test func aStagingSurvivesReopeningAndDiscardRemovesIt() throws {
        let directory = try temporaryDirectory()
        let incoming = GeneratedBoxSource(size: 900_000, seed: 6)
        let all = Self.bytes(ofGenerated: incoming)
        var prefix = StreamChain()
        prefix.absorb(Array(all[0..<400_000]))
        let record = TransferRecord(transferID: 42, point: prefix.point, totalSize: incoming.size)
        do {
            let store = try Self.open(directory)
            try Self.stage(incoming, into: store, upTo: 400_000)
            let sink = try store.stagingSink()
            try sink.appendCheckpoint(record)
            sink.close()
        }
        // A restarted device finds the staging and its checkpoint: the import resumes at 400,000.
        let reopened = try Self.open(directory)
        #expect(reopened.recovery == nil)
        let sink = try reopened.stagingSink()
        #expect(try sink.size() == 400_000)
        #expect(sink.checkpoints() == [record])
        #expect(try sink.read(at: 0, count: 400_000) == Array(all[0..<400_000]))
        sink.close()
        let chain = try Self.stage(incoming, into: reopened, from: 400_000)
        try reopened.applyStaged(expectedSize: incoming.size, expectedChain: chain)
        #expect(try Self.bytes(of: reopened.source()) == all)
        // The applied staging's sidecar went with it.
        #expect(try Self.files(directory) == ["manifest.json", "slot-a"])

        try Self.stage(BytesSource([1, 2, 3]), into: reopened)
        #expect(try Self.files(directory) == ["manifest.json", "slot-a", "staging.part", "staging.part.ckpt"])
        try reopened.discardStaged()
        try reopened.discardStaged()
        #expect(try Self.files(directory) == ["manifest.json", "slot-a"])
        #expect(try reopened.stagingSink().size() == 0)
        #expect(try reopened.contentChain() == chain)
    }

    @Test func aDamagedBoxFolderIsRefusedWithAClearMessageAndLeftoversAreCleared() throws {
        let directory = try temporaryDirectory()
        let store = try Self.open(directory, seed: 2, size: 10_000)
        let incoming = GeneratedBoxSource(size: 20_000, seed: 3)
        try store.applyStaged(expectedSize: incoming.size, expectedChain: try Self.stage(incoming, into: store))
        // What crashes leave behind: DurableFile temporaries, a slot the manifest does not name.
        for name in ["manifest.json.4242.tmp", "apply.json.4242.tmp", "slot-b"] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1, 2, 3]))
        }
        _ = FileManager.default.createFile(atPath: directory + "/export.journal", contents: Data([9]))
        let reopened = try Self.open(directory)
        #expect(reopened.recovery == nil)
        #expect(try Self.files(directory) == ["export.journal", "manifest.json", "slot-a"], "another component's file must stay")
        #expect(try reopened.contentChain() == StreamChain.hash(of: Self.bytes(ofGenerated: incoming)))

        try FileManager.default.removeItem(atPath: directory + "/slot-a")
        let missing = #expect(throws: EmulatorError.self) { try Self.open(directory) }
        #expect(missing?.description.contains("slot-a is missing or not the 20000 bytes its manifest says") == true)
        _ = FileManager.default.createFile(atPath: directory + "/manifest.json", contents: Data("{\"format\": 1, \"content\"".utf8))
        let unreadable = #expect(throws: EmulatorError.self) { try Self.open(directory) }
        #expect(unreadable?.description.contains("the box manifest \(directory)/manifest.json is unreadable") == true)
        _ = FileManager.default.createFile(
            atPath: directory + "/manifest.json",
            contents: Data("{\"format\": 2, \"content\": \"generated\", \"size\": 1, \"seed\": 1}".utf8))
        let newer = #expect(throws: EmulatorError.self) { try Self.open(directory) }
        #expect(newer?.description.contains("newer than this emulator's 1") == true)
    }

    /// R3, step by step: the folder as a crash right after each durable step of an apply leaves it
    /// (a copy taken in the step's callback) opens with the old content before the manifest's
    /// replacement and the new one after, and says so; the old content keeps the import staged.
    @Test(arguments: [false, true])
    func recoveryAfterEachStepOfAnApplyGivesTheOldOrTheNew(fromImported: Bool) throws {
        let root = try temporaryDirectory()
        let directory = root + "/box"
        let store = try Self.open(directory, seed: 2, size: 200_000)
        if fromImported {
            let first = GeneratedBoxSource(size: 150_000, seed: 3)
            try store.applyStaged(expectedSize: first.size, expectedChain: try Self.stage(first, into: store))
        }
        let oldChain = try store.contentChain()
        let incoming = GeneratedBoxSource(size: 333_333, seed: 4)
        let newChain = try Self.stage(incoming, into: store)
        let sink = try store.stagingSink()
        try sink.appendCheckpoint(TransferRecord(transferID: 7, point: ChainPoint.start))
        sink.close()
        var copies: [(BoxStore.ApplyStep, String)] = []
        try store.applyStaged(expectedSize: incoming.size, expectedChain: newChain) { step in
            let copy = root + "/after-\(step.rawValue)"
            try? FileManager.default.copyItem(atPath: directory, toPath: copy)
            copies.append((step, copy))
        }
        #expect(copies.map(\.0) == BoxStore.ApplyStep.allCases)
        let newSlot = fromImported ? "slot-b" : "slot-a"
        for (step, copy) in copies {
            let reopened = try Self.open(copy)
            switch step {
            case .intentRecorded, .verified, .movedToSlot:
                #expect(reopened.recovery == BoxStore.recoveredOld, "\(step)")
                #expect(try reopened.contentChain() == oldChain, "\(step)")
                let staged = try reopened.stagingSink()
                #expect(
                    try StreamChain.hash(of: staged.read(at: 0, count: Int(incoming.size))) == newChain, "\(step): the staging was lost")
                #expect(staged.checkpoints().count == 1, "\(step): the staging's checkpoints were lost")
                staged.close()
                #expect(
                    try Self.files(copy) == (fromImported ? ["manifest.json", "slot-a"] : ["manifest.json"]) + [
                        "staging.part", "staging.part.ckpt",
                    ])
                // The device can apply it again.
                try reopened.applyStaged(expectedSize: incoming.size, expectedChain: newChain)
                #expect(try reopened.contentChain() == newChain)
            case .committed, .cleanedUp:
                #expect(reopened.recovery == BoxStore.recoveredNew, "\(step)")
                #expect(try reopened.contentChain() == newChain, "\(step)")
                #expect(try Self.files(copy) == ["manifest.json", newSlot], "\(step)")
            case .finished:
                #expect(reopened.recovery == nil)
                #expect(try reopened.contentChain() == newChain)
                #expect(try Self.files(copy) == ["manifest.json", newSlot])
            }
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    static func bytes(ofGenerated source: GeneratedBoxSource) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(source.size))
        out.withUnsafeMutableBytes { try? source.read(at: 0, into: $0) }
        return out
    }

    // MARK: - R3 with a real crash

    /// Pause after each step of the child's apply (MFPBRIDGE_CRASHTEST_PAUSE_MS), so that random
    /// kills land in every step rather than mostly in the verification.
    static let pauseMilliseconds = 15

    struct ChildRun {
        var killed: Bool
        var applyTime: Duration
        /// What the child printed (its `step NAME` lines say how far the apply got).
        var output: String
        var steps: [String] {
            output.split(separator: "\n").filter { $0.hasPrefix("step ") }.map { String($0.dropFirst(5)) }
        }
    }

    /// Runs `mfpbridge-crashtest box` on `directory`; kills it with SIGKILL `delay` after it prints
    /// the line `marker` (`applying`, or `step NAME`), or lets it finish (nil).
    static func runChild(
        _ binary: String, directory: String, expectedSize: UInt64, chain: ChainHash,
        kill killAt: (marker: String, delay: Duration)?
    ) throws -> ChildRun {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["box", directory, "1", "1000", String(expectedSize), chain.description]
        var environment = ProcessInfo.processInfo.environment
        environment["MFPBRIDGE_CRASHTEST_PAUSE_MS"] = String(pauseMilliseconds)
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        var seen = Data()
        func waitFor(_ line: String) {
            while !String(decoding: seen, as: UTF8.self).contains(line + "\n") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += chunk
            }
        }
        // "applying": the store is open and the apply starts now.
        waitFor("applying")
        let clock = ContinuousClock()
        let started = clock.now
        if let killAt {
            waitFor(killAt.marker)
            let seconds = Double(killAt.delay.components.seconds) + Double(killAt.delay.components.attoseconds) / 1e18
            Thread.sleep(forTimeInterval: seconds)
            kill(child.processIdentifier, SIGKILL)
        }
        child.waitUntilExit()
        let applyTime = clock.now - started
        seen += output.fileHandleForReading.readDataToEndOfFile()
        let text = String(decoding: seen, as: UTF8.self)
        if child.terminationReason == .exit {
            #expect(child.terminationStatus == 0, "the crash-test child failed: \(text)")
        }
        return ChildRun(killed: child.terminationReason == .uncaughtSignal, applyTime: applyTime, output: text)
    }

    @Test(
        .enabled(
            if: SettingsStoreTests.crashTestBinary != nil,
            "the mfpbridge-crashtest executable is not built: add its target to Package.swift (or set MFPBRIDGE_CRASHTEST)"))
    func r3ACrashDuringApplyLeavesTheOldBoxOrTheNewNeverAMix() throws {
        // R3: a crash during apply leaves the old box or the new, never a mix.
        let binary = try #require(SettingsStoreTests.crashTestBinary)
        let root = try temporaryDirectory()
        let incoming = GeneratedBoxSource(size: (2 << 20) + 77, seed: 2)
        var newChain = ChainHash.zero
        // Two starting points: a generated box (the new content goes to slot a) and an imported one
        // in slot a (the new content goes to slot b, and slot a must go).
        var pristine: [(directory: String, oldChain: ChainHash, oldSlot: String?, newSlot: String)] = []
        for imported in [false, true] {
            let directory = root + (imported ? "/pristine-imported" : "/pristine-generated")
            let store = try Self.open(directory, seed: 1, size: (3 << 20) + 5)
            if imported {
                let first = GeneratedBoxSource(size: (1 << 20) + 3, seed: 3)
                try store.applyStaged(expectedSize: first.size, expectedChain: try Self.stage(first, into: store))
            }
            newChain = try Self.stage(incoming, into: store)
            let sink = try store.stagingSink()
            try sink.appendCheckpoint(TransferRecord(transferID: 9, point: ChainPoint.start, totalSize: incoming.size))
            sink.close()
            pristine.append((directory, try store.contentChain(), imported ? "slot-a" : nil, imported ? "slot-b" : "slot-a"))
        }
        #expect(pristine[0].oldChain != newChain && pristine[1].oldChain != newChain)

        // How long an undisturbed apply takes, so that the kills land before, in and after it.
        let calibration = root + "/calibration"
        try FileManager.default.copyItem(atPath: pristine[1].directory, toPath: calibration)
        let full = try Self.runChild(binary, directory: calibration, expectedSize: incoming.size, chain: newChain, kill: nil)
        #expect(full.steps == BoxStore.ApplyStep.allCases.map(\.rawValue), "\(full.output)")
        #expect(try Self.open(calibration).contentChain() == newChain)
        try? FileManager.default.removeItem(atPath: calibration)
        let window = max(full.applyTime * 1.3, .milliseconds(20))

        var random = FixtureRandom(seed: 0xB0C5_C4A5)
        var outcomes = (old: 0, new: 0, killed: 0, oldBeforeIntent: 0, newAfterFinish: 0)
        var lastStep: [String: Int] = [:]
        // Even runs: killed at a random moment of the whole apply. Odd runs: killed at a random
        // moment after a given step (each in turn), so that every step's window is hit, the
        // short ones (writing the apply record, verifying) included.
        let markers = ["applying"] + BoxStore.ApplyStep.allCases.dropLast().map { "step " + $0.rawValue }
        let runs = 32
        for run in 0..<runs {
            let start = pristine[(run / 2) % 2]
            let directory = root + "/run-\(run)"
            try FileManager.default.copyItem(atPath: start.directory, toPath: directory)
            let killAt =
                run % 2 == 0
                ? (marker: "applying", delay: window * (Double(random.int(0...1_000)) / 1_000))
                : (
                    marker: markers[(run / 2) % markers.count],
                    delay: .milliseconds(Self.pauseMilliseconds) * (Double(random.int(0...1_200)) / 1_000)
                )
            let delay = "\(killAt.delay) after \(killAt.marker)"
            let child = try Self.runChild(binary, directory: directory, expectedSize: incoming.size, chain: newChain, kill: killAt)
            if child.killed { outcomes.killed += 1 }
            let steps = child.steps
            lastStep[steps.last ?? "(none)", default: 0] += 1
            // What the device finds when it comes back up.
            let store = try Self.open(directory)
            let found = try store.contentChain()
            let files = try Self.files(directory)
            let context = "run \(run) (killed after \(delay), steps \(steps), recovery \(store.recovery ?? "none"), files \(files))"
            if found == start.oldChain {
                outcomes.old += 1
                #expect(!steps.contains(BoxStore.ApplyStep.committed.rawValue), "\(context): committed, yet the old content")
                if store.recovery == nil {
                    // Killed before the apply record was durable: nothing had begun.
                    #expect(steps.isEmpty, "\(context): the apply had begun, yet recovery says nothing")
                    outcomes.oldBeforeIntent += 1
                } else {
                    #expect(store.recovery == BoxStore.recoveredOld, "\(context)")
                }
                // The import is still staged, whole, with its checkpoint: the device applies it again.
                #expect(
                    files == [start.oldSlot, "manifest.json", "staging.part", "staging.part.ckpt"].compactMap { $0 }.sorted(), "\(context)")
                let staged = try store.stagingSink()
                #expect(try staged.size() == incoming.size, "\(context)")
                #expect(staged.checkpoints().count == 1, "\(context)")
                staged.close()
                try store.applyStaged(expectedSize: incoming.size, expectedChain: newChain)
                #expect(try store.contentChain() == newChain, "\(context)")
            } else if found == newChain {
                outcomes.new += 1
                if store.recovery == nil {
                    // The apply record was already removed: the apply had finished.
                    #expect(steps.contains(BoxStore.ApplyStep.committed.rawValue), "\(context): the new content, yet no commit began")
                    outcomes.newAfterFinish += 1
                } else {
                    #expect(store.recovery == BoxStore.recoveredNew, "\(context)")
                }
                #expect(files == ["manifest.json", start.newSlot], "\(context)")
            } else {
                Issue.record("\(context): neither the old content nor the new; files kept in \(directory)")
                continue
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
        let stepCounts = (["(none)"] + BoxStore.ApplyStep.allCases.map(\.rawValue)).map { "\($0) \(lastStep[$0] ?? 0)" }
        print(
            "R3 box crash test: an apply of \(incoming.size) bytes takes \(full.applyTime) with \(Self.pauseMilliseconds) ms pauses; "
                + "\(runs) runs killed at random (half within \(window) of its start, half after a given step): \(outcomes.killed) died of SIGKILL; "
                + "\(outcomes.old) found the old box (\(outcomes.oldBeforeIntent) of them killed before the apply began), "
                + "\(outcomes.new) the new (\(outcomes.newAfterFinish) after it finished), none a mix; last step printed: \(stepCounts.joined(separator: ", "))"
        )
        #expect(outcomes.old + outcomes.new == runs)
        #expect(outcomes.old > 0 && outcomes.new > 0, "the kills should land on both sides of the commit")
        try? FileManager.default.removeItem(atPath: root)
    }
}
