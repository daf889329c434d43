import MFPKit
import Testing

@Suite("R1: the password never crosses the link")
struct LoginProofTests {
    let salt: [UInt8] = Array(0..<16)
    let nonce: [UInt8] = Array(repeating: 7, count: 32)

    @Test("The right password matches, a wrong one does not")
    func matches() {
        let verifier = LoginProof.verifier(password: "7654321", salt: salt)
        #expect(LoginProof.matches(LoginProof.proof(password: "7654321", salt: salt, nonce: nonce), verifier: verifier, nonce: nonce))
        #expect(!LoginProof.matches(LoginProof.proof(password: "7654320", salt: salt, nonce: nonce), verifier: verifier, nonce: nonce))
        #expect(!LoginProof.matches([], verifier: verifier, nonce: nonce))
    }

    @Test("A recorded proof is useless with the next nonce")
    func replay() {
        let verifier = LoginProof.verifier(password: "7654321", salt: salt)
        let recorded = LoginProof.proof(password: "7654321", salt: salt, nonce: nonce)
        let next = Array(repeating: UInt8(8), count: 32)
        #expect(!LoginProof.matches(recorded, verifier: verifier, nonce: next))
    }

    @Test("The proof does not contain the password")
    func noPasswordInProof() {
        let proof = LoginProof.proof(password: "7654321", salt: salt, nonce: nonce).hexString
        #expect(!proof.contains("7654321".utf8.map { String($0, radix: 16) }.joined()))
        #expect([UInt8](hexString: proof) != nil)
    }
}
