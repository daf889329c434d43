import Foundation
import MFPKit

/// The settings a realistic machine holds (RULES.md, "What a realistic device holds"), generated
/// from a seed: full-size address books, users, department IDs, hundreds of settings items with
/// their A/B/C/No classes, security policy and certificates. Every name, address and number is
/// made up (reserved `.example` domains, 555-01xx and 020 7946 0xxx numbers, documentation IPs).
///
/// Deterministic: the same profile and seed give the same records byte for byte, on any machine
/// and Swift version (its own PRNG and sampling, never the system RNG, the clock or stdlib
/// shuffles). Each category draws from its own stream, so categories do not shift one another.
public enum SettingsFixture {
    public static func generate(profile: DeviceProfile, seed: UInt64) -> SettingsSnapshot {
        var builder = Builder(profile: profile, seed: seed)
        var snapshot = SettingsSnapshot()
        // Dependency order: later categories point at ids of earlier ones.
        snapshot[.departmentIDs] = builder.departmentIDs()
        snapshot[.authenticationUsers] = builder.authenticationUsers()
        snapshot[.addressBook] = builder.addressBook()
        snapshot[.userGroupAddressLists] = builder.userGroupAddressLists()
        snapshot[.paperTypes] = builder.paperTypes()
        snapshot[.printerSettings] = builder.printerSettings()
        snapshot[.favorites] = builder.favorites()
        snapshot[.personalSettings] = builder.personalSettings()
        snapshot[.buttons] = builder.buttons()
        snapshot[.forwardingRules] = builder.forwardingRules()
        snapshot[.settingsRegistration] = builder.settingsRegistration()
        snapshot[.securityPolicy] = builder.securityPolicy()
        snapshot[.certificates] = builder.certificates()
        // Box documents are the large payload of a later issue: present, empty.
        snapshot[.boxDocuments] = []
        for category in SettingCategory.allCases {
            snapshot[category] = snapshot[category].sorted { $0.id < $1.id }
        }
        return snapshot
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence everywhere. Sampling
/// helpers are our own too, so no stdlib algorithm change can alter a fixture.
struct FixtureRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range` (multiply-high; the bias is below 2^-40 for the ranges used here).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next().multipliedFullWidth(by: width).high)
    }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// Picks by weight: `[(value, weight)]`.
    mutating func weighted<T>(_ items: [(T, Int)]) -> T {
        var roll = int(0...(items.reduce(0) { $0 + $1.1 } - 1))
        for (item, weight) in items {
            if roll < weight { return item }
            roll -= weight
        }
        return items[items.count - 1].0
    }

    /// `count` distinct elements of `items`, in the order drawn (partial Fisher-Yates).
    mutating func sample<T>(_ items: [T], count: Int) -> [T] {
        var pool = items
        let wanted = min(count, pool.count)
        for index in 0..<wanted {
            pool.swapAt(index, int(index...(pool.count - 1)))
        }
        return Array(pool[0..<wanted])
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            var word = next()
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return Array(out.prefix(count))
    }

    mutating func hex(_ byteCount: Int) -> String { FixtureText.hex(bytes(byteCount)) }

    /// A made-up moment in 2023-2025, ISO 8601 (UTC), built without the clock.
    mutating func timestamp() -> String {
        let year = int(2023...2025), month = int(1...12), day = int(1...28)
        return "\(year)-\(FixtureText.pad(month, 2))-\(FixtureText.pad(day, 2))T"
            + "\(FixtureText.pad(int(6...19), 2)):\(FixtureText.pad(int(0...59), 2)):\(FixtureText.pad(int(0...59), 2))Z"
    }
}

enum FixtureText {
    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// FNV-1a, to turn a name into a stream selector.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// Builds one machine's settings; each category takes its own random stream.
struct Builder {
    let profile: DeviceProfile
    let seed: UInt64

    // Ids later categories point at.
    var departmentNumbers: [String] = []
    var users: [FixtureUser] = []
    var addressEntries: [(id: String, type: String)] = []
    var favoriteIDs: [String] = []
    var paperTypeNames: [String] = []

    init(profile: DeviceProfile, seed: UInt64) {
        self.profile = profile
        self.seed = seed
    }

    /// The stream of one category: the seed mixed with the profile and the category's name.
    func random(_ stream: String) -> FixtureRandom {
        var mixer = FixtureRandom(seed: seed ^ FixtureText.fnv1a(profile.name + "\u{1F}" + stream))
        return FixtureRandom(seed: mixer.next())
    }

    /// A record; `crossModelClass` only where the item has its own class (settings items).
    func record(_ id: String, _ fields: [String: String], _ crossModelClass: CrossModelClass? = nil) -> SettingRecord {
        SettingRecord(id: id, fields: fields, crossModelClass: crossModelClass)
    }

    /// `sha256$SALT$HASH`: the only form a password or PIN takes in the fixtures (R1: never in clear).
    static func saltedHash(_ random: inout FixtureRandom, secret: String) -> String {
        let salt = random.bytes(16)
        return "sha256$\(FixtureText.hex(salt))$\(FixtureText.hex(LoginProof.verifier(password: secret, salt: salt)))"
    }

    /// A throwaway secret that is hashed at once and never kept.
    static func throwawaySecret(_ random: inout FixtureRandom) -> String {
        random.hex(12)
    }
}

struct FixtureUser {
    var login: String
    var first: String
    var last: String
    var email: String
    var department: String
    var role: String
}
