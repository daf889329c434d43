import Crypto
import MFPKit
import _CryptoExtras

/// scrypt's cost parameters, recorded in the header of a protected bundle.
public struct ScryptParameters: Codable, Sendable, Hashable {
    /// Always "scrypt" in version 1.
    public var algorithm: String
    /// CPU/memory cost (a power of two).
    public var n: Int
    /// Block size.
    public var r: Int
    /// Parallelism.
    public var p: Int

    public init(n: Int, r: Int, p: Int) {
        self.algorithm = "scrypt"
        self.n = n
        self.r = r
        self.p = p
    }

    /// What bundles are written with: 2^15 x 8 x 1 (32 MiB of memory; about 0.1 s on a current CPU).
    public static let standard = ScryptParameters(n: 1 << 15, r: 8, p: 1)

    /// Memory scrypt needs, in bytes (128 * n * r, plus the smaller buffers).
    var memoryBytes: Int { 128 * r * (n + p + 1) }

    /// Bounds a reader accepts, so a hostile header cannot make it allocate gigabytes.
    func validate() throws(BundleError) {
        guard algorithm == "scrypt", n >= 2, n <= 1 << 20, n & (n - 1) == 0,
            (1...16).contains(r), (1...4).contains(p), memoryBytes <= 256 << 20
        else {
            throw .damaged("the header's key-derivation parameters (\(algorithm) N=\(n) r=\(r) p=\(p)) are out of range")
        }
    }
}

/// R13: the rules for a bundle password and the keys derived from it.
public enum BundlePassword {
    /// Canon's limit.
    public static let maxLength = 32
    static let saltLength = 16
    static let noncePrefixLength = 7
    static let keyCheckLength = 16

    /// Throws `.invalidPassword` unless `password` is 1 to 32 printable ASCII characters
    /// (space to tilde).
    public static func validate(_ password: String) throws(BundleError) {
        let bytes = Array(password.utf8)
        guard !bytes.isEmpty else { throw BundleError(.invalidPassword(reason: "the password is empty")) }
        guard bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw BundleError(.invalidPassword(reason: "the password contains a character that is not printable ASCII"))
        }
        guard bytes.count <= maxLength else {
            throw BundleError(.invalidPassword(reason: "the password has \(bytes.count) characters, more than \(maxLength)"))
        }
    }

    struct Keys {
        var encryption: SymmetricKey
        var check: [UInt8]
    }

    /// scrypt(password, salt) -> 32-byte master; HKDF-SHA256-Expand of it gives the encryption key
    /// and the key-check value (docs/bundle-format.md, "Keys").
    static func deriveKeys(password: String, salt: [UInt8], parameters: ScryptParameters) throws(BundleError) -> Keys {
        try validate(password)
        let master: SymmetricKey
        do {
            master = try KDF.Scrypt.deriveKey(
                from: Array(password.utf8), salt: salt, outputByteCount: 32,
                rounds: parameters.n, blockSize: parameters.r,
                parallelism: parameters.p)
        } catch {
            throw .damaged("the key-derivation parameters cannot be used (\(error))")
        }
        let key = HKDF<SHA256>.expand(
            pseudoRandomKey: master, info: Array("mfpbridge bundle v1 encryption key".utf8),
            outputByteCount: 32)
        let check = HKDF<SHA256>.expand(
            pseudoRandomKey: master, info: Array("mfpbridge bundle v1 key check".utf8),
            outputByteCount: keyCheckLength)
        return Keys(encryption: key, check: check.withUnsafeBytes { Array($0) })
    }
}
