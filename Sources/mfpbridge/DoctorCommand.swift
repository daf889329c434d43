import ArgumentParser
import BridgeClient
import BridgeLink
import BridgeSystem
import Foundation

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that USB machines can be used without root, and say what to fix.",
        discussion: """
            Checks libusb and libudev, whether udev/70-mfpbridge.rules is installed, whether the rule \
            covers the ids of every quirks-file entry, and the permissions of the device node of every \
            USB machine on the allow-list. Exits 0 when all is well, 1 otherwise (each problem comes \
            with the command that fixes it). MFPBRIDGE_UDEV_RULES names the rule file to check instead \
            of the installed one.
            """)

    @Option(name: .long, help: ArgumentHelp("Where the device profiles are.", valueName: "dir"))
    var profiles: String?

    @OptionGroup var output: OutputOptions

    static let rulesName = "70-mfpbridge.rules"
    static let rulesDirectories = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]

    struct Report: Encodable {
        struct Node: Encodable {
            var address: String
            var devnode: String
            var mode: String?
            var owner: String?
            var group: String?
            var canOpen: Bool
        }
        /// A quirks-file entry whose ids the rule does not grant access to.
        struct UncoveredQuirk: Encodable {
            var vendorID: String
            var productID: String?
            var model: String?
            var quirksFile: String
            var rulesFile: String
            var suggestedLine: String
        }
        var ok: Bool
        var libusbVersion: String
        var libudevVersion: String?
        var rulesFile: String?
        var user: String
        var groups: [String]
        var devices: [Node]
        var uncoveredQuirks: [UncoveredQuirk]
        var problems: [String]
        var fixes: [String]
    }

    func run() throws {
        var problems: [String] = []
        var fixes: [String] = []
        if let problem = USBEnvironment.libusbProblem() {
            problems.append("libusb cannot start: \(problem)")
            fixes.append("check that /dev/bus/usb exists (in a container, pass the USB bus through)")
        }
        let override = ProcessInfo.processInfo.environment["MFPBRIDGE_UDEV_RULES"].flatMap { $0.isEmpty ? nil : $0 }
        let rules = override ?? Self.rulesDirectories.map { "\($0)/\(Self.rulesName)" }.first { FileManager.default.fileExists(atPath: $0) }
        if rules == nil {
            problems.append("the udev rule \(Self.rulesName) is not installed: USB machines can only be opened as root")
            fixes.append(
                "sudo install -m 644 udev/\(Self.rulesName) /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=usb"
            )
        }
        let allowList = USBAllowListLoader.load(profiles: profiles)
        for warning in allowList.warnings {
            problems.append("quirks file: \(warning)")
            fixes.append("fix the JSON in \(USBAllowList.quirksPath()) (see README, \"USB\")")
        }
        // Quirks entries the rule does not cover: the installed rule, else the one the fix above installs.
        var uncovered: [Report.UncoveredQuirk] = []
        if let checked = rules ?? Self.repositoryRules(), let text = try? String(contentsOfFile: checked, encoding: .utf8) {
            let parsed = UDevRules(text: text)
            let quirksFile = USBAllowList.quirksPath()
            for entry in allowList.entries
            where entry.source == quirksFile
                && !parsed.covers(
                    vendorID: entry.vendorID, productID: entry.productID, interfaceClass: entry.interfaceClass,
                    subclass: entry.subclass, interfaceProtocol: entry.interfaceProtocol)
            {
                let line = UDevRules.suggestedLine(
                    vendorID: entry.vendorID, productID: entry.productID, interfaceClass: entry.interfaceClass,
                    subclass: entry.subclass, interfaceProtocol: entry.interfaceProtocol)
                let ids = USBAllowListLoader.hex4(entry.vendorID) + ":" + (entry.productID.map(USBAllowListLoader.hex4) ?? "any")
                uncovered.append(
                    Report.UncoveredQuirk(
                        vendorID: USBAllowListLoader.hex4(entry.vendorID),
                        productID: entry.productID.map(USBAllowListLoader.hex4), model: entry.model,
                        quirksFile: quirksFile, rulesFile: checked, suggestedLine: line))
                problems.append(
                    "quirks entry \(ids) (\(entry.model ?? "no model name")) is not in \(checked): a non-root user cannot open it")
                fixes.append(
                    "add a line before LABEL=\"mfpbridge_end\" in \(checked)"
                        + (rules == nil ? " (and install it, above)" : "") + ": \(line)"
                        + (rules == nil
                            ? ""
                            : "; then sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=usb and replug the machine"))
            }
        } else if rules != nil {
            problems.append("cannot read the udev rule \(rules!)")
            fixes.append("check its permissions (it should be mode 644): sudo chmod 644 \(rules!)")
        }
        let user = Syscall.userName(Syscall.effectiveUserID) ?? "uid \(Syscall.effectiveUserID)"
        let groups = Self.currentGroups()
        var nodes: [Report.Node] = []
        let devices = (try? USBDeviceScanner.list(allowList: allowList)) ?? []
        for device in devices {
            let info = try? Syscall.stat(device.devnode)
            let node = Report.Node(
                address: device.address, devnode: device.devnode,
                mode: info.map { String($0.st_mode & 0o777, radix: 8) },
                owner: info.flatMap { Syscall.userName($0.st_uid) },
                group: info.flatMap { Syscall.groupName($0.st_gid) },
                canOpen: device.canOpen)
            nodes.append(node)
            if !device.canOpen {
                problems.append(
                    "\(device.address) (\(device.devnode), mode \(node.mode ?? "?"), group \(node.group ?? "?")): this user cannot open it")
                fixes.append(
                    rules == nil
                        ? "install the udev rule (above), then unplug and replug the machine"
                        : "unplug and replug the machine so the rule applies; if it persists, add yourself to the plugdev group (sudo usermod -aG plugdev \(user), then log in again) or add the device's ids to \(rules!)"
                )
            }
            if let info, (info.st_mode & 0o002) != 0 {
                problems.append("\(device.devnode) is world-writable (mode \(node.mode ?? "?")): another rule grants too much")
                fixes.append(
                    "remove the rule that sets MODE=\"0666\" for this device (grep -r \(USBAllowListLoader.hex4(device.vendorID)) /etc/udev/rules.d)"
                )
            }
        }
        let report = Report(
            ok: problems.isEmpty, libusbVersion: USBEnvironment.libusbVersion,
            libudevVersion: USBEnvironment.libudevVersion, rulesFile: rules, user: user, groups: groups,
            devices: nodes, uncoveredQuirks: uncovered, problems: problems, fixes: fixes)
        if output.json {
            Output.json(report)
        } else {
            Output.line("libusb   \(report.libusbVersion)")
            Output.line("libudev  \(report.libudevVersion ?? "unknown")")
            Output.line("rules    \(rules ?? "not installed (\(Self.rulesName))")")
            Output.line("user     \(user) (groups: \(groups.joined(separator: ", ")))")
            if nodes.isEmpty { Output.line("devices  no USB machine plugged in") }
            for node in nodes {
                Output.line(
                    "device   \(node.address)  \(node.devnode)  mode \(node.mode ?? "?") \(node.owner ?? "?"):\(node.group ?? "?")  "
                        + (node.canOpen ? "can open" : "CANNOT open"))
            }
            if problems.isEmpty {
                Output.line("All is well.")
            } else {
                for (problem, fix) in zip(problems, fixes) {
                    Output.line("problem: \(problem)")
                    Output.line("  fix:   \(fix)")
                }
            }
        }
        if !problems.isEmpty { throw ExitCode(ExitStatus.failure.rawValue) }
    }

    /// The repository's `udev/70-mfpbridge.rules`, found beside or above the executable (as the profiles are).
    static func repositoryRules(executablePath: String = CommandLine.arguments.first ?? "") -> String? {
        var folder = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = folder.appendingPathComponent("udev/\(rulesName)").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        let installed = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("../share/mfpbridge/\(rulesName)").standardized.path
        return FileManager.default.fileExists(atPath: installed) ? installed : nil
    }

    static func currentGroups() -> [String] {
        Syscall.supplementaryGroups().compactMap(Syscall.groupName)
    }
}
