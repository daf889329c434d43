import Foundation
import MFPKit

/// The device profiles an emulator can be: `firmware-fixtures/profiles/NAME.json`.
public struct ProfileCatalog: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Finds the profiles: `explicit`, then `$MFPBRIDGE_PROFILES`, then `firmware-fixtures/profiles`
    /// in a folder above the executable (a checkout), then `../share/mfpbridge/profiles` beside
    /// an installed binary.
    public static func locate(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = CommandLine.arguments.first ?? ""
    ) throws(EmulatorError) -> ProfileCatalog {
        if let explicit { return ProfileCatalog(directory: explicit) }
        if let fromEnvironment = environment["MFPBRIDGE_PROFILES"], !fromEnvironment.isEmpty {
            return ProfileCatalog(directory: fromEnvironment)
        }
        let executable = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        let installed = folder.appendingPathComponent("../share/mfpbridge/profiles").standardized.path
        for _ in 0..<8 {
            let candidate = folder.appendingPathComponent("firmware-fixtures/profiles").path
            if FileManager.default.fileExists(atPath: candidate) { return ProfileCatalog(directory: candidate) }
            folder = folder.deletingLastPathComponent()
        }
        if FileManager.default.fileExists(atPath: installed) { return ProfileCatalog(directory: installed) }
        throw EmulatorError(
            "cannot find the device profiles: pass --profiles DIR or set MFPBRIDGE_PROFILES to the firmware-fixtures/profiles folder")
    }

    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func load(_ name: String) throws(EmulatorError) -> DeviceProfile {
        guard !name.contains("/"), let data = FileManager.default.contents(atPath: "\(directory)/\(name).json") else {
            throw EmulatorError("no device profile '\(name)'; known profiles: \(names().joined(separator: ", "))")
        }
        do {
            return try DeviceProfile.decode(data)
        } catch {
            throw EmulatorError("profile \(name): \(error)")
        }
    }
}
