import MFPKit
import Testing

@testable import MFPBundle

@Suite("R13: bundle passwords")
struct BundlePasswordTests {
    @Test("R13: a wrong password fails cleanly")
    func wrongPassword() throws {
        let bytes = try Fixtures.bundle(password: Fixtures.password)
        for wrong in ["7654321-bundlE", "7654321", "x", String(repeating: "z", count: 32)] {
            let error = Fixtures.rejection(bytes, password: wrong)
            #expect(error?.kind == .wrongPassword, "\(wrong)")
            #expect(error?.message.hasPrefix("wrong bundle password") == true)
        }
        // The streaming reader stops at the header and yields nothing.
        var reader = BundleReader(password: "nope")
        #expect(throws: BundleError(.wrongPassword)) { _ = try reader.consume(bytes) }
        #expect(reader.header == nil)
    }

    @Test("R13: a protected bundle without a password asks for one")
    func passwordRequired() throws {
        let bytes = try Fixtures.bundle(password: Fixtures.password)
        #expect(Fixtures.rejection(bytes, password: nil)?.kind == .passwordRequired)
        // An unprotected bundle ignores a password.
        #expect(Fixtures.rejection(try Fixtures.bundle(), password: "whatever") == nil)
    }

    @Test("R13: passwords over 32 or non-ASCII are refused")
    func refusedPasswords() throws {
        let header = Fixtures.header().describing(Fixtures.snapshot)
        for bad in [String(repeating: "a", count: 33), "pässwort", "パスワード", "", "tab\there", "line\n", "\u{7F}"] {
            #expect(throws: BundleError.self) { try BundlePassword.validate(bad) }
            do {
                _ = try BundleWriter(header: header, password: bad, kdf: Fixtures.tinyKDF) { _ in }
                Issue.record("accepted \(bad.debugDescription)")
            } catch let error as BundleError {
                guard case .invalidPassword = error.kind else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(error.message.contains("1 to 32 printable ASCII"))
            }
        }
        for good in [String(repeating: "a", count: 32), "7", "with space ~!@#$%^&*()"] {
            try BundlePassword.validate(good)
            let bytes = try Fixtures.bundle(password: good)
            #expect(try BundleReader.read(bytes, password: good).snapshot == Fixtures.snapshot)
        }
        // A reader given an impossible password says why, rather than "wrong password".
        let bytes = try Fixtures.bundle(password: Fixtures.password)
        guard case .invalidPassword? = Fixtures.rejection(bytes, password: String(repeating: "a", count: 40))?.kind else {
            Issue.record("a 40-character password was not refused as such")
            return
        }
    }

    @Test("R13: damage with the right password is damage, not a wrong password")
    func damageIsNotWrongPassword() throws {
        var bytes = try Fixtures.bundle(password: Fixtures.password)
        bytes[bytes.count - 20] ^= 0x10
        let error = Fixtures.rejection(bytes, password: Fixtures.password)
        #expect(Fixtures.isDamaged(error))
        #expect(error?.message.contains("chunk") == true)
    }
}
