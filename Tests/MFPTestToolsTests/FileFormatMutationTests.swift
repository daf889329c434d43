import BridgeClient
import BridgeTransfer
import Crypto
import Foundation
import MFPBundle
import MFPKit
import MFPTestTools
import Testing

func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mfpbridge-mutation-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Every file format refuses every mutant (R8, R13)")
struct FileFormatMutationTests {
    @Test(
        "R8, R13: a seeded mutation campaign over bundles, protected bundles, box backups, snapshots and random files: every mutant exits 6"
    )
    func smallCampaign() throws {
        let report = try MutationCampaign(seed: 7, mutants: 1_500).run()
        #expect(report.failed == 0, "\(report.lines.joined(separator: "\n"))")
        #expect(report.passed == 1_500)
        for format in CampaignFormat.allCases {
            #expect((report.tallies[format]?.mutants ?? 0) > 0, "no \(format.rawValue) mutants")
        }
    }

    @Test("The campaign is deterministic: the same seed gives the same mutants")
    func deterministic() throws {
        let campaign = MutationCampaign(seed: 11, mutants: 50)
        for index in [0, 7, 33] {
            #expect(try campaign.mutant(index).mutant.bytes == campaign.mutant(index).mutant.bytes)
        }
    }
}

/// Box backup files as `verify`, `inspect` and `box-restore` read them (BoxBackupFile).
@Suite("Box backup files, format 2 (R8)")
struct BoxBackupFileTests {
    static let english = BundleOrigin(
        model: "Aurora C5540i", series: "Aurora C5500", firmware: "41.02.7",
        language: "en-US", serialNumber: "AUR5540-000731")

    static func backup(payload: [UInt8] = Array(repeating: 0x5A, count: 3000)) -> [UInt8] {
        let trailer = BoxBackupTrailer(
            origin: english, createdAt: Date(timeIntervalSince1970: 1_767_225_600), documents: 3,
            payloadSize: UInt64(payload.count),
            payloadChain: StreamChain.hash(of: payload).bytes.map { String(format: "%02x", $0) }.joined())
        return BoxBackupFormat.preamble + payload + trailer.sealed()
    }

    func verify(_ bytes: [UInt8]) throws -> BridgeError? {
        let path = try temporaryFolder() + "/backup.mfpbox"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try BoxBackupFile.verify(path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test("R8: an intact box backup verifies, with its origin")
    func intact() throws {
        let path = try temporaryFolder() + "/backup.mfpbox"
        try Data(Self.backup()).write(to: URL(fileURLWithPath: path))
        let verified = try BoxBackupFile.verify(path: path).verified
        #expect(verified.origin == Self.english)
        #expect(verified.payloadSize == 3000)
        #expect(try BoxBackupTrailer.open(sealed: verified.sealedTrailer) == verified.trailer)
    }

    @Test("R8, R7: the language and model rewritten in the trailer, with its digest recomputed, are refused (exit 6)")
    func rewrittenOrigin() throws {
        var bytes = Self.backup()
        let length = bytes[(bytes.count - 12)..<(bytes.count - 8)].reduce(0) { $0 << 8 | Int($1) }
        let start = bytes.count - 76 - length
        let json = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
            .replacingOccurrences(of: "en-US", with: "de-DE").replacingOccurrences(of: "Aurora C5540i", with: "Meridian M320")
        #expect(json.utf8.count == length)
        bytes.replaceSubrange(start..<(start + length), with: Array(json.utf8))
        bytes.replaceSubrange((start + length)..<(start + length + 32), with: Array(SHA256.hash(data: Array(json.utf8))))
        let error = try #require(try verify(bytes))
        #expect(error.status == .bundleRejected)
        #expect(error.message.contains("its trailer was edited"), "\(error.message)")
        #expect(error.message.contains("use another copy"))
    }

    @Test("R8: a box backup cut at any byte, or with bytes after its end, exits 6 and says so")
    func cutEverywhere() throws {
        let bytes = Self.backup(payload: Array(repeating: 7, count: 40))
        for length in 1..<bytes.count {
            let error = try #require(try verify(Array(bytes.prefix(length))), "cut to \(length) was accepted")
            #expect(error.status == .bundleRejected, "\(length): \(error.message)")
            if length > 4 { #expect(error.message.contains("cut short"), "\(length): \(error.message)") }
        }
        let extended = try #require(try verify(bytes + [0, 1, 2]))
        #expect(extended.status == .bundleRejected)
        #expect(extended.message.contains("3 bytes after its end"), "\(extended.message)")
    }

    @Test("R8: a changed document byte fails the seal")
    func changedDocument() throws {
        var bytes = Self.backup()
        bytes[100] ^= 0x01
        let error = try #require(try verify(bytes))
        #expect(error.status == .bundleRejected)
        #expect(error.message.contains("its documents do not match the seal"), "\(error.message)")
    }

    @Test("R8: a version-1 box backup (unsealed description) is refused: made by an earlier mfpbridge, make a new backup")
    func versionOne() throws {
        let payload = [UInt8](repeating: 1, count: 100)
        let json = Array(#"{"formatVersion":1,"origin":{}}"#.utf8)
        let length = UInt32(json.count)
        let bytes = payload + json + [0, 0, UInt8(length >> 8), UInt8(length & 0xFF)] + BoxBackupFormat.legacyEndMagic
        let path = try temporaryFolder() + "/old.mfpbox"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(BoxBackupFile.isBoxBackup(path: path))
        do {
            _ = try FileVerification.verify(path: path, password: nil)
            Issue.record("a version-1 box backup was accepted")
        } catch {
            #expect(error.status == .bundleRejected)
            #expect(error.message.contains("earlier mfpbridge"), "\(error.message)")
            #expect(error.message.contains("not sealed"))
            #expect(error.message.contains("make a new backup"))
        }
    }
}
