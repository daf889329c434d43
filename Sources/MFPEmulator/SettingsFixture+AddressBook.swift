import MFPKit

/// Address Book: Address Lists 01-10 and the administrator's list, filled to the profile's
/// capacity, plus the one-touch entries; every entry type; groups point at entries of their list.
/// Ids: `address-list-01/0001` ... `address-list-admin/1401` (one number across the book),
/// `one-touch/001`.
extension Builder {
    enum EntryType: String, CaseIterable {
        case email, fax, ifax = "i-fax", fileServer = "file-server", group
    }

    mutating func addressBook() -> [SettingRecord] {
        var random = random(SettingCategory.addressBook.rawValue)
        let capacity = profile.capacities.addressBookEntries
        // The administrator's list holds about an eighth; lists 01-10 share the rest unevenly.
        let adminCount = capacity / 8
        let weights = (0..<10).map { _ in random.int(50...150) }
        let shared = capacity - adminCount
        var counts = weights.map { shared * $0 / weights.reduce(0, +) }
        counts[0] += shared - counts.reduce(0, +)

        var lists: [(list: String, prefix: String, count: Int, width: Int)] = []
        for (index, count) in counts.enumerated() {
            let list = FixtureText.pad(index + 1, 2)
            lists.append((list, "address-list-\(list)/", count, 4))
        }
        lists.append(("admin", "address-list-admin/", adminCount, 4))
        lists.append(("one-touch", "one-touch/", profile.capacities.oneTouchEntries, 3))

        var records: [SettingRecord] = []
        var number = 0
        for list in lists {
            // Types first, so that groups can point at the list's other entries.
            var planned: [(id: String, type: EntryType, slot: Int)] = []
            for slot in 1...max(1, list.count) where list.count > 0 {
                let type: EntryType = random.weighted([(.email, 52), (.fax, 20), (.ifax, 8), (.fileServer, 12), (.group, 8)])
                let label: String
                if list.list == "one-touch" {
                    label = FixtureText.pad(slot, list.width)
                } else {
                    number += 1
                    label = FixtureText.pad(number, list.width)
                }
                planned.append((list.prefix + label, type, slot))
            }
            // Every type appears in every list that is big enough.
            if planned.count >= EntryType.allCases.count {
                for (offset, type) in EntryType.allCases.enumerated() {
                    planned[offset].type = type
                }
            }
            let memberPool = planned.filter { $0.type != .group }.map(\.id)
            for entry in planned {
                var fields = addressEntryFields(entry.type, &random, memberPool: memberPool)
                fields["list"] = list.list
                if list.list == "one-touch" {
                    fields["one-touch-number"] = FixtureText.pad(entry.slot, 3)
                    fields["button-name"] = String(fields["name", default: ""].prefix(12))
                }
                if random.chance(8) {
                    fields["access-number"] = FixtureText.pad(random.int(1...9_999_999), 7)
                }
                addressEntries.append((entry.id, entry.type.rawValue))
                records.append(record(entry.id, fields))
            }
        }
        return records
    }

    private func addressEntryFields(_ type: EntryType, _ random: inout FixtureRandom, memberPool: [String]) -> [String: String] {
        var fields = ["type": type.rawValue]
        let org = FixtureNames.orgName(&random)
        let domain = FixtureNames.domain(of: org)
        switch type {
        case .email:
            if random.chance(72) {
                let first = random.pick(FixtureNames.first), last = random.pick(FixtureNames.last)
                fields["name"] = "\(first) \(last)"
                fields["email"] = "\(first.lowercased()).\(last.lowercased())@\(domain)"
            } else {
                let mailbox = random.pick(FixtureNames.mailboxes)
                fields["name"] = "\(org) (\(mailbox))"
                fields["email"] = "\(mailbox)@\(domain)"
            }
            if random.chance(10) { fields["send-as"] = random.pick(["pdf", "pdf-compact", "tiff", "jpeg", "docx"]) }
        case .fax:
            fields["name"] = "\(org) \(random.pick(FixtureNames.departments)) fax"
            fields["fax-number"] = FixtureNames.faxNumber(&random)
            fields["ecm"] = random.chance(85) ? "on" : "off"
            fields["tx-speed"] = random.weighted([("33600", 70), ("14400", 20), ("9600", 10)])
            fields["long-distance"] = random.weighted([
                ("domestic", 80), ("international-1", 12), ("international-2", 5), ("international-3", 3),
            ])
            if random.chance(6) { fields["subaddress"] = String(random.int(10...9999)) }
        case .ifax:
            fields["name"] = "\(org) I-fax"
            fields["ifax-address"] = "fax\(random.int(1...9))@\(domain)"
            fields["mode"] = random.chance(60) ? "full" : "simple"
            fields["paper-size"] = random.pick(["A4", "A4", "Letter", "A3", "Legal"])
            fields["resolution"] = random.pick(["200x100", "200x200", "400x400"])
        case .fileServer:
            let share = random.pick(FixtureNames.shares)
            let dept = random.pick(FixtureNames.departments)
            let proto = random.weighted([("smb", 70), ("ftp", 15), ("webdav", 15)])
            let host = random.chance(50) ? "fs\(FixtureText.pad(random.int(1...12), 2)).corp.example" : FixtureNames.lanAddress(&random)
            fields["name"] = "\(dept) \(share)"
            fields["protocol"] = proto
            fields["host"] = host
            switch proto {
            case "smb":
                fields["path"] = "\\\\\(host)\\\(share)\\\(dept.replacingOccurrences(of: " ", with: ""))"
                fields["user"] = "CORP\\svc-scan\(FixtureText.pad(random.int(1...40), 2))"
            case "ftp":
                fields["path"] = "/\(share.lowercased())/\(dept.lowercased().replacingOccurrences(of: " ", with: "-"))"
                fields["user"] = "scan\(random.int(1...40))"
                fields["port"] = "21"
            default:
                fields["path"] = "/dav/\(share.lowercased())"
                fields["user"] = "mfp-\(dept.lowercased().replacingOccurrences(of: " ", with: "-"))"
                fields["port"] = random.chance(80) ? "443" : "8443"
            }
            // Stored like the device does: a salted hash, never the password.
            fields["password-hash"] = Self.saltedHash(&random, secret: Self.throwawaySecret(&random))
        case .group:
            let members = random.sample(memberPool, count: random.int(2...12)).sorted()
            fields["name"] =
                "\(random.pick(FixtureNames.departments)) \(random.pick(["team", "distribution", "managers", "all", "on-call"]))"
            fields["members"] = members.joined(separator: ",")
        }
        return fields
    }

    /// User Group Address Lists 01-20 (or 01-50): each belongs to a user group, lists its member
    /// users (ids of authentication users) and holds its own destinations.
    mutating func userGroupAddressLists() -> [SettingRecord] {
        var random = random(SettingCategory.userGroupAddressLists.rawValue)
        let logins = users.map(\.login)
        return (1...max(1, profile.capacities.userGroupAddressLists)).compactMap { number in
            guard profile.capacities.userGroupAddressLists > 0 else { return nil }
            let id = "user-group-address-lists/\(FixtureText.pad(number, 2))"
            let group = "\(random.pick(FixtureNames.departments)) \(random.pick(FixtureNames.sites))"
            var fields = [
                "number": FixtureText.pad(number, 2),
                "name": "User Group Address List \(FixtureText.pad(number, 2))",
                "user-group": group,
                "members": random.sample(logins, count: random.int(5...40)).sorted().joined(separator: ","),
            ]
            let destinations = random.int(4...18)
            fields["destination-count"] = String(destinations)
            for index in 1...destinations {
                let key = "destination.\(FixtureText.pad(index, 2))"
                let org = FixtureNames.orgName(&random)
                if random.chance(70) {
                    let first = random.pick(FixtureNames.first), last = random.pick(FixtureNames.last)
                    fields[key + ".type"] = "email"
                    fields[key + ".name"] = "\(first) \(last)"
                    fields[key + ".address"] = "\(first.lowercased()).\(last.lowercased())@\(FixtureNames.domain(of: org))"
                } else {
                    fields[key + ".type"] = "fax"
                    fields[key + ".name"] = "\(org) fax"
                    fields[key + ".address"] = FixtureNames.faxNumber(&random)
                }
            }
            return record(id, fields)
        }
    }
}
