import MFPKit

/// Department IDs, authentication users (passwords and PINs only as salted hashes) and the
/// Personal Setting Information of the first users.
extension Builder {
    /// Department IDs: 7-digit numbers as on real machines, with their PIN (hashed), page limits
    /// and counters; about 50-70 % of the capacity.
    mutating func departmentIDs() -> [SettingRecord] {
        var random = random(SettingCategory.departmentIDs.rawValue)
        let capacity = profile.capacities.departmentIDs
        let count = capacity * random.int(50...70) / 100
        var number = random.int(100...900)
        var records: [SettingRecord] = []
        for _ in 0..<count {
            number += random.int(1...40)
            let id = FixtureText.pad(number, 7)
            var fields = [
                "name": "\(random.pick(FixtureNames.departments)) \(random.pick(FixtureNames.sites))",
                "pin-hash": Self.saltedHash(&random, secret: Self.throwawaySecret(&random)),
                "copy-count": String(random.int(0...250_000)),
                "print-count": String(random.int(0...400_000)),
                "scan-count": String(random.int(0...90_000)),
            ]
            for limit in ["copy-limit", "print-limit", "scan-limit"] {
                fields[limit] = random.chance(35) ? String(random.int(1...200) * 500) : "none"
            }
            if random.chance(20) { fields["color-limit"] = String(random.int(1...40) * 250) }
            departmentNumbers.append(id)
            records.append(record(id, fields))
        }
        return records
    }

    /// Authentication users to the profile's capacity. `password-hash` is `sha256$SALT$HASH` of a
    /// throwaway password (R1: never in clear, never exported in clear).
    mutating func authenticationUsers() -> [SettingRecord] {
        var random = random(SettingCategory.authenticationUsers.rawValue)
        let domain = FixtureNames.domain(of: FixtureNames.orgName(&random))
        var records: [SettingRecord] = []
        for index in 1...max(1, profile.capacities.authenticationUsers) where profile.capacities.authenticationUsers > 0 {
            let first = random.pick(FixtureNames.first), last = random.pick(FixtureNames.last)
            let login = "\(first.prefix(1).lowercased())\(last.lowercased())\(FixtureText.pad(index, 4))"
            let role = random.weighted([
                ("GeneralUser", 82), ("LimitedUser", 9), ("DeviceAdmin", 4), ("NetworkAdmin", 2), ("Administrator", 3),
            ])
            let user = FixtureUser(
                login: login, first: first, last: last,
                email: "\(first.lowercased()).\(last.lowercased())\(index)@\(domain)",
                department: departmentNumbers.isEmpty ? "" : random.pick(departmentNumbers), role: role)
            var fields = [
                "login": login,
                "display-name": "\(first) \(last)",
                "email": user.email,
                "role": role,
                "department-id": user.department,
                "password-hash": Self.saltedHash(&random, secret: Self.throwawaySecret(&random)),
                "enabled": random.chance(94) ? "true" : "false",
                "created": random.timestamp(),
            ]
            if random.chance(30) { fields["card-number"] = String(random.int(10_000_000...99_999_999)) }
            if random.chance(12) { fields["password-expires"] = random.timestamp() }
            users.append(user)
            records.append(record(login, fields))
        }
        return records
    }

    /// Personal Setting Information of the first `personalSettingsUsers` users: language, default
    /// screen, favorites (ids of favorite settings), copy/scan defaults, accessibility.
    mutating func personalSettings() -> [SettingRecord] {
        var random = random(SettingCategory.personalSettings.rawValue)
        let count = profile.capacities.personalSettingsUsers
        let languages = [profile.displayLanguage, "en-US", "de-DE", "fr-FR", "ja-JP", "es-ES", "it-IT"]
        // A machine with fewer local users than personal settings serves users who log in
        // through the directory (LDAP/AD): they have settings but no local account.
        var owners = Array(users.prefix(count)).map { (user: $0, directory: false) }
        var index = 0
        while owners.count < count {
            index += 1
            let first = random.pick(FixtureNames.first), last = random.pick(FixtureNames.last)
            let login = "ad.\(first.lowercased()).\(last.lowercased())\(FixtureText.pad(index, 4))"
            owners.append((FixtureUser(login: login, first: first, last: last, email: "", department: "", role: "GeneralUser"), true))
        }
        return owners.map { owner in
            let user = owner.user
            var fields = [
                "user": user.login,
                "language": random.chance(85) ? profile.displayLanguage : random.pick(languages),
                "default-screen": random.weighted([("home", 45), ("copy", 25), ("scan-and-send", 18), ("fax", 5), ("print", 7)]),
                "home.layout": random.pick(["4x3", "5x3", "6x4"]),
                "copy.color-mode": random.weighted([("auto", 50), ("black-and-white", 40), ("full-color", 10)]),
                "copy.duplex": random.pick(["1-to-1", "1-to-2", "2-to-2"]),
                "copy.paper": random.pick(["auto", "A4", "Letter", "A3"]),
                "scan.file-format": random.weighted([("pdf-compact", 45), ("pdf", 30), ("pdf-ocr", 15), ("jpeg", 5), ("tiff", 5)]),
                "scan.resolution": random.pick(["200x200", "300x300", "600x600"]),
                "scan.send-to-myself": random.chance(40) ? "on" : "off",
                "address-book.default-list": random.chance(60) ? "01" : FixtureText.pad(random.int(1...10), 2),
                "accessibility.reverse-contrast": random.chance(4) ? "on" : "off",
                "accessibility.enlarged-display": random.chance(6) ? "on" : "off",
                "screen.brightness": String(random.int(1...9)),
                "updated": random.timestamp(),
            ]
            if !favoriteIDs.isEmpty, random.chance(70) {
                fields["favorites"] = random.sample(favoriteIDs, count: random.int(1...8)).joined(separator: ",")
            }
            if owner.directory { fields["source"] = "directory" }
            if random.chance(25) { fields["print.secure-print-pin-required"] = "on" }
            return record(user.login, fields)
        }
    }
}
