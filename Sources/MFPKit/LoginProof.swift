import Crypto
import Foundation

/// R1: the administrator proves the password without it ever crossing the link.
///
/// The device stores `verifier = SHA-256(salt || password)` (never the password). At login it
/// sends the salt and a fresh nonce; the host answers `HMAC-SHA-256(key: verifier, nonce)`.
/// A recorded answer is useless for the next login, since the nonce changes.
public enum LoginProof {
    public static func verifier(password: String, salt: [UInt8]) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: salt)
        hash.update(data: Array(password.utf8))
        return Array(hash.finalize())
    }

    public static func proof(verifier: [UInt8], nonce: [UInt8]) -> [UInt8] {
        let code = HMAC<SHA256>.authenticationCode(for: nonce, using: SymmetricKey(data: verifier))
        return Array(code)
    }

    public static func proof(password: String, salt: [UInt8], nonce: [UInt8]) -> [UInt8] {
        proof(verifier: verifier(password: password, salt: salt), nonce: nonce)
    }

    /// Compares in constant time.
    public static func matches(_ candidate: [UInt8], verifier: [UInt8], nonce: [UInt8]) -> Bool {
        let expected = proof(verifier: verifier, nonce: nonce)
        guard candidate.count == expected.count else { return false }
        return zip(candidate, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

extension Array where Element == UInt8 {
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }

    public init?(hexString: String) {
        guard hexString.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hexString.count / 2)
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self = bytes
    }
}
