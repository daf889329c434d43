import MFPKit

/// Settings/Registration: exactly `capacities.settingsItems` items, each with its own R9 class
/// (Canon tags each item): machine identity never travels (No), engine and hardware adjustments
/// stay on the model (A), function settings travel within the series (B), plain preferences
/// travel anywhere (C). Ids are the item keys (`network/ipv4/address`); each record holds `value`.
extension Builder {
    private struct Item {
        var key: String
        var crossModelClass: CrossModelClass
        var value: (inout FixtureRandom) -> String
    }

    mutating func settingsRegistration() -> [SettingRecord] {
        var random = random(SettingCategory.settingsRegistration.rawValue)
        let wanted = profile.capacities.settingsItems
        var items = Self.catalogue(profile)
        // Registered lists (stamps, sender names, filters, ...) fill the rest, round-robin.
        var family = 0
        while items.count < wanted {
            items.append(contentsOf: Self.registeredListItems(family))
            family += 1
        }
        return items.prefix(wanted).map { item in
            record(item.key, ["value": item.value(&random)], item.crossModelClass)
        }
    }

    private static func choice(_ values: [String]) -> (inout FixtureRandom) -> String {
        { random in random.pick(values) }
    }

    private static func range(_ values: ClosedRange<Int>) -> (inout FixtureRandom) -> String {
        { random in String(random.int(values)) }
    }

    private static var onOff: (inout FixtureRandom) -> String { choice(["on", "off"]) }

    private static func catalogue(_ profile: DeviceProfile) -> [Item] {
        var items: [Item] = []
        func add(_ key: String, _ crossModelClass: CrossModelClass, _ value: @escaping (inout FixtureRandom) -> String) {
            items.append(Item(key: key, crossModelClass: crossModelClass, value: value))
        }
        // Machine identity: never imported (two machines must not share an address or a name).
        add("network/ipv4/address", .no) { random in "192.168.\(random.int(0...31)).\(random.int(20...250))" }
        add("network/ipv4/subnet-mask", .c, choice(["255.255.255.0", "255.255.254.0", "255.255.0.0"]))
        add("network/ipv4/gateway", .c) { random in "192.168.\(random.int(0...31)).1" }
        add("network/ipv4/dhcp", .c, choice(["off", "off", "on"]))
        add("network/ipv6/enabled", .c, onOff)
        add("network/ipv6/stateless-address", .c, onOff)
        add("network/ipv6/manual-address", .no) { random in "2001:db8:\(random.hex(2)):\(random.hex(2))::\(random.int(2...999))" }
        add("network/host-name", .no) { random in
            "mfp-\(random.pick(FixtureNames.sites).lowercased().replacingOccurrences(of: " ", with: "-"))-\(random.int(1...40))"
        }
        add("network/domain-name", .c) { _ in "corp.example" }
        add("network/dns/primary", .c) { random in "10.\(random.int(0...9)).0.53" }
        add("network/dns/secondary", .c) { random in "10.\(random.int(0...9)).1.53" }
        add("network/dns/dynamic-update", .c, onOff)
        add("network/mdns", .c, onOff)
        add("network/wins/enabled", .c, choice(["off", "off", "on"]))
        add("network/smb-server/enabled", .b, onOff)
        add("network/smb-client/version", .b, choice(["smb3", "smb2-smb3"]))
        add("network/lpd/enabled", .c, onOff)
        add("network/raw/enabled", .c, onOff)
        add("network/raw/port", .c) { _ in "9100" }
        add("network/ipp/enabled", .c, onOff)
        add("network/ipps-only", .c, onOff)
        add("network/wsd/enabled", .c, onOff)
        add("network/snmp/v1", .c, choice(["off", "read-only"]))
        add("network/snmp/v3", .c, onOff)
        add("network/snmp/community", .a) { random in "public-\(random.hex(3))" }
        add("network/proxy/enabled", .c, onOff)
        add("network/proxy/host", .c) { random in "proxy\(random.int(1...3)).corp.example" }
        add("network/proxy/port", .c, choice(["3128", "8080", "8000"]))
        add("network/ntp/enabled", .c, onOff)
        add("network/ntp/server", .c) { random in "ntp\(random.int(1...3)).corp.example" }
        add("network/ieee8021x/enabled", .a, onOff)
        add("network/ethernet/speed", .a, choice(["auto", "1000-full", "100-full"]))
        add("network/wireless/enabled", .a, choice(["off", "off", "on"]))
        add("network/tls/min-version", .b, choice(["1.2", "1.3"]))
        add("network/firewall/ipv4-filter", .c, onOff)
        add("network/sleep-wake-on-lan", .a, onOff)
        add("email/smtp/server", .c) { random in "smtp\(random.int(1...4)).corp.example" }
        add("email/smtp/port", .c, choice(["25", "587", "465"]))
        add("email/smtp/starttls", .c, onOff)
        add("email/smtp/auth", .c, choice(["off", "smtp-auth", "pop-before-smtp"]))
        add("email/pop3/server", .c) { random in "pop\(random.int(1...2)).corp.example" }
        add("email/pop3/interval-minutes", .c, range(0...99))
        add("email/sender-address", .no) { random in "mfp\(random.int(100...999))@corp.example" }
        add("email/max-size-mb", .c, choice(["3", "5", "10", "20"]))
        add("email/divide-by-pages", .c, onOff)
        // Preferences: travel to any model.
        add("preferences/display-language", .c) { _ in profile.displayLanguage }
        add("preferences/units", .c) { _ in profile.displayLanguage == "en-US" ? "inch" : "mm" }
        add("preferences/number-format", .c, choice(["1,000.0", "1.000,0", "1 000,0"]))
        add("preferences/date-format", .c, choice(["MM/DD/YYYY", "DD/MM/YYYY", "YYYY MM/DD"]))
        add("preferences/time-format", .c, choice(["12h", "24h"]))
        add("preferences/time-zone", .c, choice(["UTC-08:00", "UTC-05:00", "UTC+00:00", "UTC+01:00", "UTC+09:00"]))
        add("preferences/daylight-saving", .c, onOff)
        add("preferences/keyboard-layout", .c, choice(["qwerty", "qwertz", "azerty"]))
        add("preferences/default-screen-after-startup", .b, choice(["home", "copy", "scan-and-send", "status"]))
        add("preferences/home-screen/layout", .b, choice(["4x3", "5x3", "6x4"]))
        add("preferences/home-screen/show-notifications", .b, onOff)
        add("preferences/key-repeat", .c, choice(["normal", "slow", "off"]))
        add("preferences/beep/volume", .c, range(0...5))
        add("preferences/beep/job-done", .c, onOff)
        add("preferences/screen-brightness", .a, range(1...9))
        add("preferences/reverse-contrast", .c, onOff)
        add("preferences/accessibility/large-text", .c, onOff)
        add("timer/auto-reset-seconds", .c, choice(["60", "120", "180", "300"]))
        add("timer/auto-sleep-minutes", .c, choice(["1", "5", "10", "30", "60"]))
        add("timer/auto-offline-minutes", .c, range(1...9))
        add("timer/function-after-reset", .b, choice(["default", "selected"]))
        add("timer/daily-shutdown", .b, choice(["off", "19:00", "20:00", "22:00"]))
        add("timer/weekly-sleep", .b, choice(["off", "sat-sun"]))
        add("timer/quiet-mode", .a, onOff)
        add("timer/fixing-energy-saver", .a, choice(["standard", "low"]))
        // Paper and printer defaults.
        add("printer/default-paper-size", .c) { _ in profile.displayLanguage == "en-US" ? "Letter" : "A4" }
        add("printer/default-paper-type", .b, choice(["Plain 1", "Plain 2", "Recycled 1"]))
        add("printer/auto-tray-switch", .b, onOff)
        add("printer/paper-size-mismatch", .b, choice(["stop", "ignore", "ignore-same-group"]))
        add("printer/free-size-paper", .c, choice(["A4", "Letter", "any"]))
        add("printer/output-tray", .a, choice(["inner-1", "inner-2", "finisher-a", "finisher-b"]))
        add("printer/offset-jobs", .a, onOff)
        add("printer/print-priority", .b, choice(["copy", "print", "fax", "fifo"]))
        add("printer/banner-page", .c, onOff)
        add("printer/duplex-default", .c, choice(["off", "long-edge"]))
        add("copy/default-color-mode", .b, choice(["auto", "black-and-white", "full-color"]))
        add("copy/default-zoom", .c, choice(["100", "auto"]))
        add("copy/default-duplex", .c, choice(["1-to-1", "1-to-2", "2-to-2"]))
        add("copy/auto-orientation", .b, onOff)
        add("copy/image-density", .a, range(-4...4))
        add("copy/sharpness", .a, range(-3...3))
        add("copy/background-adjust", .a, choice(["auto", "manual"]))
        add("copy/id-card-copy", .b, onOff)
        add("copy/eco-copy", .b, onOff)
        add("scan/default-file-format", .c, choice(["pdf", "pdf-compact", "pdf-ocr", "jpeg", "tiff"]))
        add("scan/default-resolution", .c, choice(["200x200", "300x300", "600x600"]))
        add("scan/default-color-mode", .c, choice(["auto", "black-and-white", "full-color"]))
        add("scan/blank-page-skip", .b, onOff)
        add("scan/ocr-language", .c) { _ in profile.displayLanguage }
        add("scan/pdf-version", .b, choice(["1.6", "1.7", "2.0"]))
        add("scan/file-name-format", .c, choice(["date-time", "serial-date", "user-date"]))
        add("scan/stream-scan", .a, onOff)
        add("scan/feeder-dust-detection", .a, onOff)
        add("scan/feeder-double-feed-detection", .a, onOff)
        add("send/restrict-new-destinations", .b, onOff)
        add("send/confirm-destinations", .b, onOff)
        add("send/restrict-to-myself", .b, onOff)
        add("send/retry-count", .c, range(0...5))
        add("send/activity-report", .c, choice(["off", "on-error", "always"]))
        add("send/sender-name", .c) { random in "\(FixtureNames.orgName(&random))" }
        add("fax/line-1/number", .no) { random in FixtureNames.faxNumber(&random) }
        add("fax/line-1/unit-name", .no) { random in "\(random.pick(FixtureNames.departments)) \(random.pick(FixtureNames.sites))" }
        add("fax/line-1/type", .a, choice(["tone", "pulse"]))
        add("fax/line-1/rx-mode", .a, choice(["auto", "manual", "fax-tel"]))
        add("fax/line-1/rings", .a, range(1...9))
        add("fax/line-1/ecm", .a, onOff)
        add("fax/line-1/tx-start-speed", .a, choice(["33600", "14400", "9600"]))
        add("fax/line-1/rx-start-speed", .a, choice(["33600", "14400", "9600"]))
        add("fax/tx-terminal-id", .c, onOff)
        add("fax/memory-lock", .b, onOff)
        add("fax/rx-print-duplex", .c, onOff)
        add("fax/rx-reduction", .c, choice(["auto", "off", "vertical"]))
        add("fax/report/tx", .c, choice(["off", "on-error", "always"]))
        add("fax/report/rx", .c, choice(["off", "on-error", "always"]))
        add("fax/report/activity-every-100-jobs", .c, onOff)
        add("fax/check-number-twice", .b, onOff)
        add("fax/dial-prefix", .c, choice(["", "0", "9"]))
        add("store/advanced-box/public", .b, onOff)
        add("store/advanced-box/smb", .b, onOff)
        add("store/advanced-box/webdav", .b, onOff)
        add("store/memory-media/usb-enabled", .a, onOff)
        add("store/mail-box/auto-delete-days", .c, choice(["off", "1", "3", "7", "30"]))
        add("management/department-id/enabled", .b, onOff)
        add("management/department-id/allow-unknown-print", .b, onOff)
        add("management/user-authentication/method", .b, choice(["keyboard", "card", "keyboard-and-card"]))
        add("management/user-authentication/auto-logout-seconds", .c, choice(["30", "60", "120"]))
        add("management/remote-ui/enabled", .b, onOff)
        add("management/remote-ui/https", .b, onOff)
        add("management/device-info-delivery", .b, onOff)
        add("management/job-log/display", .c, onOff)
        add("management/counter/display", .c, onOff)
        add("management/device-name", .no) { random in "\(profile.model) \(random.pick(FixtureNames.sites))" }
        add("management/device-location", .no) { random in "Floor \(random.int(1...12)), \(random.pick(FixtureNames.sites))" }
        add("management/serial-number", .no) { _ in profile.serialNumber }
        add("adjustment/engine/registration-leading-edge", .a, range(-20...20))
        add("adjustment/engine/registration-side", .a, range(-20...20))
        add("adjustment/engine/secondary-transfer", .a, range(-8...8))
        add("adjustment/engine/fixing-temperature", .a, range(-2...2))
        add("adjustment/engine/toner-density", .a, range(-5...5))
        add("adjustment/engine/gradation-auto", .a, choice(["full", "quick", "off"]))
        add("adjustment/scanner/lead-edge", .a, range(-10...10))
        add("adjustment/scanner/side-edge", .a, range(-10...10))
        add("adjustment/finisher/staple-position", .a, range(-5...5))
        add("adjustment/finisher/punch-position", .a, range(-5...5))
        add("adjustment/finisher/fold-position", .a, range(-5...5))
        // Paper sources: one set per drawer of this model.
        for drawer in ["drawer-1", "drawer-2", "drawer-3", "drawer-4", "multi-purpose"] {
            add("paper-source/\(drawer)/paper-size", .a, choice(["A4", "Letter", "A3", "Legal", "B5", "Ledger"]))
            add("paper-source/\(drawer)/paper-type", .b, choice(["Plain 1", "Plain 2", "Recycled 1", "Heavy 1", "Color"]))
            add("paper-source/\(drawer)/auto-select-copy", .b, onOff)
            add("paper-source/\(drawer)/auto-select-print", .b, onOff)
            add("paper-source/\(drawer)/auto-select-fax", .b, onOff)
        }
        return items
    }

    /// The `family`-th entry of each registered list (stamps, sender names, ...), unbounded so
    /// that any capacity fills with plausible keys.
    private static func registeredListItems(_ family: Int) -> [Item] {
        let number = FixtureText.pad(family + 1, 2)
        return [
            Item(key: "registration/sender-name/\(number)", crossModelClass: .c) { random in
                "\(random.pick(FixtureNames.departments)) \(random.pick(FixtureNames.sites))"
            },
            Item(key: "registration/stamp/\(number)", crossModelClass: .b) { random in
                random.pick(["CONFIDENTIAL", "COPY", "DRAFT", "FINAL", "RECEIVED", "PAID", "URGENT", "INTERNAL"])
            },
            Item(key: "registration/ipv4-allow/\(number)", crossModelClass: .c) { random in
                "10.\(random.int(0...40)).\(random.int(0...255)).0/24"
            },
            Item(key: "registration/send-subject/\(number)", crossModelClass: .c) { random in
                "Scan from \(random.pick(FixtureNames.departments))"
            },
            Item(key: "registration/ldap-server/\(number)", crossModelClass: .b) { random in
                "ldap\(random.int(1...9)).corp.example:\(random.pick(["389", "636"]))"
            },
            Item(key: "registration/licence/\(number)", crossModelClass: .no) { random in
                "LIC-\(random.hex(4).uppercased())-\(random.hex(4).uppercased())"
            },
            Item(key: "registration/tray-size/\(number)", crossModelClass: .a) { random in
                "\(random.int(100...320))x\(random.int(148...457))mm"
            },
        ]
    }
}
