import Foundation
import MFPKit

/// Paper types, printer settings, favorites, personal/shared buttons, forwarding rules, security
/// policy and certificates: tens to hundreds of records each, a few for the last two.
extension Builder {
    /// The standard paper types plus 20-60 custom ones.
    mutating func paperTypes() -> [SettingRecord] {
        var random = random(SettingCategory.paperTypes.rawValue)
        let standard: [(String, Int, String)] = [
            ("Plain 1", 64, "plain"), ("Plain 2", 75, "plain"), ("Plain 3", 90, "plain"), ("Recycled 1", 64, "recycled"),
            ("Recycled 2", 75, "recycled"), ("Color", 80, "colored"), ("Heavy 1", 106, "heavy"), ("Heavy 2", 129, "heavy"),
            ("Heavy 3", 164, "heavy"), ("Heavy 4", 221, "heavy"), ("Bond", 90, "bond"), ("Coated 1", 106, "coated"),
            ("Coated 2", 129, "coated"), ("Coated 3", 164, "coated"), ("Thin", 52, "thin"), ("Transparency", 0, "film"),
            ("Labels", 120, "labels"), ("Envelope", 90, "envelope"), ("Tab Paper", 163, "tab"), ("Pre-punched", 80, "plain"),
        ]
        var records: [SettingRecord] = []
        for (index, paper) in standard.enumerated() {
            let id = "standard/\(FixtureText.pad(index + 1, 2))"
            records.append(
                record(
                    id,
                    [
                        "name": paper.0, "basis-weight-gsm": String(paper.1), "surface": paper.2, "editable": "false",
                        "fixing-temperature-adjust": String(random.int(-2...2)),
                    ]))
            paperTypeNames.append(paper.0)
        }
        for index in 1...random.int(20...60) {
            let base = random.pick(standard)
            let name = "\(random.pick(FixtureNames.orgWords)) \(base.0.split(separator: " ")[0]) \(random.int(60...300))"
            records.append(
                record(
                    "custom/\(FixtureText.pad(index, 3))",
                    [
                        "name": name, "based-on": base.0, "basis-weight-gsm": String(random.int(52...300)), "surface": base.2,
                        "color": random.pick(["white", "white", "cream", "blue", "yellow", "green", "pink"]),
                        "fixing-temperature-adjust": String(random.int(-3...3)),
                        "secondary-transfer-voltage-adjust": String(random.int(-5...5)),
                        "curl-correction": random.pick(["off", "low", "high"]),
                        "editable": "true",
                    ]))
            paperTypeNames.append(name)
        }
        return records
    }

    /// Printer settings by page-description language: tens of items.
    mutating func printerSettings() -> [SettingRecord] {
        var random = random(SettingCategory.printerSettings.rawValue)
        let items: [(String, [String])] = [
            ("common/copies", (1...5).map(String.init)), ("common/duplex", ["off", "long-edge", "short-edge"]),
            ("common/default-paper-size", ["A4", "Letter"]), ("common/default-paper-type", ["Plain 1", "Plain 2", "Recycled 1"]),
            ("common/paper-size-override", ["off", "on"]), ("common/color-mode", ["auto", "black-and-white"]),
            ("common/toner-save", ["off", "on"]), ("common/resolution", ["600", "1200"]),
            ("common/orientation", ["portrait", "landscape"]), ("common/print-quality", ["standard", "fine"]),
            ("common/suppress-blank-pages", ["off", "on"]), ("common/error-skip", ["off", "on"]),
            ("common/timeout-seconds", ["15", "30", "60", "120"]), ("common/personality", ["auto", "pcl", "ps"]),
            ("common/restrict-printer-jobs", ["off", "secure-only"]), ("common/job-priority", ["fifo", "secure-first"]),
            ("pcl/font-source", ["internal", "download"]), ("pcl/font-number", (0...110).map(String.init)),
            ("pcl/pitch", ["10.00", "12.00", "16.67"]), ("pcl/point-size", ["10.00", "12.00"]),
            ("pcl/symbol-set", ["PC8", "ROMAN8", "ISOL1", "WIN30"]), ("pcl/form-lines", (5...128).map(String.init)),
            ("pcl/custom-paper", ["off", "on"]), ("pcl/append-cr-to-lf", ["off", "on"]),
            ("pcl/enlarge-a4-print-width", ["off", "on"]), ("pcl/barcode", ["disabled", "enabled"]),
            ("ps/job-timeout", ["0", "30", "60"]), ("ps/print-ps-errors", ["off", "on"]),
            ("ps/halftones", ["resolution", "gradation", "high-resolution"]), ("ps/grayscale-conversion", ["srgb", "ntsc", "uniform-rgb"]),
            ("ps/pure-black-text", ["off", "on"]), ("ps/black-overprint", ["off", "on"]),
            ("ps/rgb-source-profile", ["srgb", "gamma-1.5", "gamma-1.8", "gamma-2.4", "none"]),
            ("ps/cmyk-simulation-profile", ["japan-color", "us-web-coated", "euro-standard", "none"]),
            ("ps/matching-method", ["general", "perceptual", "colorimetric", "vivid"]),
            ("pdf/enlarge-reduce-to-fit", ["off", "on"]), ("pdf/print-comments", ["off", "auto"]),
            ("pdf/enlarge-print-area", ["off", "on"]), ("pdf/n-on-1", ["off", "2-on-1", "4-on-1"]),
            ("xps/halftones", ["resolution", "gradation"]), ("xps/grayscale-conversion", ["srgb", "ntsc"]),
            ("xps/paper-selection", ["auto", "drawer"]), ("imaging/jpeg-quality", ["standard", "high"]),
            ("imaging/tiff-spooler", ["off", "on"]), ("imaging/enlarge-reduce-to-fit", ["off", "on"]),
            ("calibration/auto-gradation", ["off", "daily", "weekly"]), ("calibration/density-cyan", (-8...8).map(String.init)),
            ("calibration/density-magenta", (-8...8).map(String.init)), ("calibration/density-yellow", (-8...8).map(String.init)),
            ("calibration/density-black", (-8...8).map(String.init)),
        ]
        var records = items.map { item in
            record(item.0, ["value": random.pick(item.1), "choices": String(item.1.count)])
        }
        // Form overlays registered by the customer: a handful to a few dozen.
        for index in 1...random.int(5...30) {
            records.append(
                record(
                    "forms/overlay-\(FixtureText.pad(index, 3))",
                    [
                        "name":
                            "\(random.pick(FixtureNames.departments)) \(random.pick(["letterhead", "invoice", "delivery note", "memo"]))",
                        "size-bytes": String(random.int(8_000...240_000)),
                        "sha256": random.hex(32),
                    ]))
        }
        return records
    }

    /// Favorite settings of copy, scan and fax: 60-160, destinations pointing at address entries.
    mutating func favorites() -> [SettingRecord] {
        var random = random(SettingCategory.favorites.rawValue)
        let destinations = addressEntries.filter { $0.type != "group" }.map(\.id)
        var records: [SettingRecord] = []
        for index in 1...random.int(60...160) {
            let function = random.weighted([("copy", 45), ("scan-and-send", 40), ("fax", 15)])
            let id = "\(function)/\(FixtureText.pad(index, 3))"
            var fields = [
                "function": function,
                "name":
                    "\(random.pick(FixtureNames.departments)) \(random.pick(["daily", "archive", "2-sided", "booklet", "color", "draft", "signed"]))",
            ]
            switch function {
            case "copy":
                fields["color-mode"] = random.pick(["auto", "black-and-white", "full-color"])
                fields["copies"] = String(random.int(1...20))
                fields["duplex"] = random.pick(["1-to-1", "1-to-2", "2-to-2"])
                fields["finishing"] = random.pick(["none", "staple-corner", "staple-double", "booklet", "punch"])
                fields["paper-type"] = paperTypeNames.isEmpty ? "Plain 1" : random.pick(paperTypeNames)
            case "scan-and-send":
                fields["file-format"] = random.pick(["pdf", "pdf-compact", "pdf-ocr", "jpeg", "tiff", "docx"])
                fields["resolution"] = random.pick(["200x200", "300x300", "600x600"])
                fields["destinations"] = random.sample(destinations, count: random.int(1...4)).joined(separator: ",")
            default:
                fields["resolution"] = random.pick(["200x100", "200x200", "400x400"])
                fields["destinations"] = random.sample(destinations, count: random.int(1...3)).joined(separator: ",")
            }
            favoriteIDs.append(id)
            records.append(record(id, fields))
        }
        return records
    }

    /// Personal/shared buttons: 40-100 shared ones and 1-4 personal ones for some users.
    mutating func buttons() -> [SettingRecord] {
        var random = random(SettingCategory.buttons.rawValue)
        let functions = ["copy", "scan-and-send", "fax", "scan-and-store", "print", "web-access", "address-book"]
        var records: [SettingRecord] = []
        for index in 1...random.int(40...100) {
            records.append(
                record(
                    "shared/\(FixtureText.pad(index, 3))",
                    [
                        "scope": "shared", "function": random.pick(functions),
                        "label": "\(random.pick(FixtureNames.departments)) \(random.pick(["scan", "copy", "fax", "store", "forms"]))",
                        "favorite": favoriteIDs.isEmpty || random.chance(40) ? "" : random.pick(favoriteIDs),
                        "position": String(index),
                    ]))
        }
        for user in users where random.chance(12) {
            for slot in 1...random.int(1...4) {
                records.append(
                    record(
                        "personal/\(user.login)/\(slot)",
                        [
                            "scope": "personal", "owner": user.login, "function": random.pick(functions),
                            "label": "\(user.first)'s \(random.pick(["scan", "copy", "fax", "box"]))",
                            "position": String(slot),
                        ]))
            }
        }
        return records
    }

    /// Received-fax and I-fax forwarding rules: 15-60, to e-mail and file-server entries.
    mutating func forwardingRules() -> [SettingRecord] {
        var random = random(SettingCategory.forwardingRules.rawValue)
        let targets = addressEntries.filter { $0.type == "email" || $0.type == "file-server" }.map(\.id)
        return (1...random.int(15...60)).map { index in
            var fields = [
                "name": "Forward \(random.pick(FixtureNames.departments)) \(index)",
                "enabled": random.chance(85) ? "true" : "false",
                "job-type": random.weighted([("fax", 60), ("i-fax", 25), ("any", 15)]),
                "condition": random.weighted([("sender-number", 40), ("sender-address", 20), ("any", 25), ("subaddress", 15)]),
                "destination": targets.isEmpty ? "" : random.pick(targets),
                "file-format": random.pick(["pdf", "pdf-compact", "tiff"]),
                "print-on-forward": random.pick(["off", "on", "on-error"]),
                "store-in-memory-on-error": random.chance(70) ? "on" : "off",
            ]
            switch fields["condition"] {
            case "sender-number": fields["match"] = FixtureNames.faxNumber(&random)
            case "sender-address": fields["match"] = "*@\(FixtureNames.domain(of: FixtureNames.orgName(&random)))"
            case "subaddress": fields["match"] = String(random.int(10...9999))
            default: break
            }
            return record("rule/\(FixtureText.pad(index, 3))", fields)
        }
    }

    /// The security policy: a few items, values from the seed.
    mutating func securityPolicy() -> [SettingRecord] {
        var random = random(SettingCategory.securityPolicy.rawValue)
        return [
            record(
                "authentication/password-policy",
                [
                    "min-length": String(random.int(8...16)), "require-mixed-case": random.chance(70) ? "on" : "off",
                    "require-digit": "on", "require-symbol": random.chance(50) ? "on" : "off",
                    "max-age-days": random.pick(["0", "90", "180", "365"]), "history": String(random.int(0...10)),
                ]),
            record(
                "authentication/lockout",
                [
                    "threshold": String(random.int(3...10)), "duration-minutes": String(random.pick([1, 5, 15, 30, 60])),
                ]),
            record("interface/usb-storage", ["value": random.pick(["allowed", "read-only", "blocked"])]),
            record("interface/wireless-direct", ["value": random.chance(70) ? "prohibited" : "allowed"]),
            record("network/https-only", ["value": random.chance(80) ? "on" : "off"]),
            record("network/unused-ports", ["value": random.chance(60) ? "closed" : "open"]),
            record(
                "storage/complete-erase",
                [
                    "value": random.chance(75) ? "on" : "off",
                    "method": random.pick(["zero", "random-3-pass", "dod"]),
                ]),
            record("log/audit", ["value": random.chance(65) ? "on" : "off", "retention-days": String(random.int(30...400))]),
            record("policy/metadata", ["revision": String(random.int(1...60)), "updated": random.timestamp()]),
        ]
    }

    /// A few keys and certificates: fake PEM text (random bytes, not real DER), small. Private
    /// keys only as encrypted PEM.
    mutating func certificates() -> [SettingRecord] {
        var random = random(SettingCategory.certificates.rawValue)
        func pem(_ label: String, _ byteCount: Int) -> String {
            let base64 = Data(random.bytes(byteCount)).base64EncodedString()
            var lines: [Substring] = []
            var rest = Substring(base64)
            while !rest.isEmpty {
                lines.append(rest.prefix(64))
                rest = rest.dropFirst(64)
            }
            return "-----BEGIN \(label)-----\n\(lines.joined(separator: "\n"))\n-----END \(label)-----\n"
        }
        let host = "mfp-\(profile.serialNumber.lowercased()).corp.example"
        var records = [
            record(
                "device/default-key",
                [
                    "kind": "key-pair", "algorithm": random.pick(["rsa-2048", "rsa-3072", "ecdsa-p256"]), "subject": "CN=\(host)",
                    "not-before": random.timestamp(), "not-after": random.timestamp(), "usage": "tls-server",
                    "certificate": pem("CERTIFICATE", random.int(420...620)),
                    "private-key": pem("ENCRYPTED PRIVATE KEY", random.int(180...260)),
                ]),
            record(
                "ca/corp-root",
                [
                    "kind": "ca-certificate", "algorithm": "rsa-4096", "subject": "CN=Corp Example Root CA",
                    "not-before": random.timestamp(), "not-after": random.timestamp(), "usage": "trust-anchor",
                    "certificate": pem("CERTIFICATE", random.int(700...900)),
                ]),
        ]
        for index in 1...random.int(1...3) {
            records.append(
                record(
                    "ca/intermediate-\(index)",
                    [
                        "kind": "ca-certificate", "algorithm": random.pick(["rsa-2048", "ecdsa-p384"]),
                        "subject": "CN=Corp Example Issuing CA \(index)", "not-before": random.timestamp(),
                        "not-after": random.timestamp(), "usage": "trust-anchor",
                        "certificate": pem("CERTIFICATE", random.int(500...700)),
                    ]))
        }
        return records
    }
}
