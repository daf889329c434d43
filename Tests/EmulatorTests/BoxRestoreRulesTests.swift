import BridgeClient
import BridgeTransfer
import Crypto
import Foundation
import MFPBundle
import MFPEmulator
import MFPKit
import Testing

/// The device checks a box restore itself (R7, R8, R9), whatever the host checked: these call
/// `BoxOperations.restore`, which runs no host-side R7/R9 check.
@Suite("The device's own checks of a box restore", .serialized)
struct BoxRestoreRulesTests {
    static let payload = [UInt8](repeating: 0x42, count: 70_000)

    static func sealedTrailer(from origin: BundleOrigin, payload: [UInt8] = payload) -> (trailer: [UInt8], chain: ChainHash) {
        let chain = StreamChain.hash(of: payload)
        let trailer = BoxBackupTrailer(
            origin: origin, createdAt: Date(), documents: 5, payloadSize: UInt64(payload.count),
            payloadChain: chain.bytes.map { String(format: "%02x", $0) }.joined())
        return (trailer.sealed(), chain)
    }

    static let aurora5540 = BundleOrigin(
        model: "Aurora C5540i", series: "Aurora C5500", firmware: "41.02.7",
        language: "en-US", serialNumber: "AUR5540-000731")
    static let aurora5560 = BundleOrigin(
        model: "Aurora C5560i", series: "Aurora C5500", firmware: "41.02.7",
        language: "en-US", serialNumber: "AUR5560-000112")

    func boxDigest(_ fixture: EmulatorFixture) throws -> String {
        let digests = try fixture.device.apply(.digests)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(digests.utf8)) as? [String: Any])
        return try #require((json["box-documents"] as? [String: Any])?["sha256"] as? String)
    }

    func restore(_ fixture: EmulatorFixture, trailer: [UInt8], chain: ChainHash, payload: [UInt8] = payload) throws -> BridgeError? {
        let session = try fixture.loggedIn()
        do {
            _ = try BoxOperations.restore(
                session: session, payload: BytesSource(payload), chain: chain, sealedTrailer: trailer,
                journalPath: try temporaryDirectory() + "/box.journal")
            return nil
        } catch let error as BridgeError {
            return error
        }
    }

    @Test("R7: a box backup from an en-US machine is refused by a de-DE machine itself (exit 7), nothing changed")
    func languageRefusedByDevice() throws {
        let fixture = try EmulatorFixture(profile: "meridian-m3200")
        let before = try boxDigest(fixture)
        let (trailer, chain) = Self.sealedTrailer(from: Self.aurora5540)
        let error = try #require(try restore(fixture, trailer: trailer, chain: chain), "the device accepted another display language")
        #expect(error.status == .incompatible)
        #expect(error.message.contains("R7"), "\(error.message)")
        #expect(error.message.contains("en-US") && error.message.contains("de-DE"))
        #expect(try boxDigest(fixture) == before)
    }

    @Test("R9: box documents of class A are refused from another model by the device itself (exit 7), nothing changed")
    func classRefusedByDevice() throws {
        let fixture = try EmulatorFixture(profile: "aurora-c5540", adjust: { $0.categoryClasses[.boxDocuments] = .a })
        let before = try boxDigest(fixture)
        let (trailer, chain) = Self.sealedTrailer(from: Self.aurora5560)
        let error = try #require(
            try restore(fixture, trailer: trailer, chain: chain), "the device accepted a class A import from another model")
        #expect(error.status == .incompatible)
        #expect(error.message.contains("R9"), "\(error.message)")
        #expect(try boxDigest(fixture) == before)
    }

    @Test("R8: the device refuses an edited trailer (digest recomputed), and a commit of other content than the trailer seals")
    func sealCheckedByDevice() throws {
        let fixture = try EmulatorFixture(profile: "aurora-c5540")
        let before = try boxDigest(fixture)
        let (trailer, chain) = Self.sealedTrailer(from: Self.aurora5560)
        // The language rewritten and D recomputed: the seal no longer matches.
        let length = trailer[(trailer.count - 12)..<(trailer.count - 8)].reduce(0) { $0 << 8 | Int($1) }
        var json = Array(trailer[0..<length])
        let text = String(decoding: json, as: UTF8.self).replacingOccurrences(of: "Aurora C5560i", with: "Aurora C5540i")
        json = Array(text.utf8)
        var edited = trailer
        edited.replaceSubrange(0..<length, with: json)
        edited.replaceSubrange(length..<(length + 32), with: Array(SHA256.hash(data: json)))
        let refused = try #require(try restore(fixture, trailer: edited, chain: chain))
        #expect(refused.status == .bundleRejected, "\(refused.message)")
        #expect(try boxDigest(fixture) == before)
        // A trailer of other content than what is sent: the staging's chain is not the trailer's.
        let other = Self.sealedTrailer(from: Self.aurora5560, payload: [UInt8](repeating: 0x43, count: 70_000))
        let mismatch = try #require(try restore(fixture, trailer: other.trailer, chain: chain))
        #expect(mismatch.status == .bundleRejected, "\(mismatch.message)")
        #expect(try boxDigest(fixture) == before)
        // The intact trailer of the content sent is applied.
        #expect(try restore(fixture, trailer: trailer, chain: chain) == nil)
        #expect(try boxDigest(fixture) == chain.bytes.map { String(format: "%02x", $0) }.joined())
    }
}
