import BridgeSystem
import BridgeTransfer
import Foundation

/// Running emulators announce themselves in `DATA/emulators/PID.json` so that
/// `mfpbridge devices` can list them; entries of processes that are gone are pruned.
public enum EmulatorRegistry {
    public struct Entry: Codable, Sendable, Hashable {
        public var pid: Int32
        public var profile: String
        public var address: String
        public var stateDirectory: String

        public init(pid: Int32, profile: String, address: String, stateDirectory: String) {
            self.pid = pid
            self.profile = profile
            self.address = address
            self.stateDirectory = stateDirectory
        }
    }

    static func folder(_ dataDirectory: String) -> String { dataDirectory + "/emulators" }

    public static func register(_ entry: Entry, dataDirectory: String) throws {
        try DurableFile.makeDirectory(folder(dataDirectory))
        try DurableFile.write(try JSONEncoder().encode(entry), to: "\(folder(dataDirectory))/\(entry.pid).json")
    }

    public static func unregister(pid: Int32, dataDirectory: String) {
        _ = try? Syscall.unlink("\(folder(dataDirectory))/\(pid).json")
    }

    public static func list(dataDirectory: String) -> [Entry] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder(dataDirectory))) ?? []
        var entries: [Entry] = []
        for file in files where file.hasSuffix(".json") {
            let path = "\(folder(dataDirectory))/\(file)"
            guard let data = FileManager.default.contents(atPath: path),
                let entry = try? JSONDecoder().decode(Entry.self, from: data)
            else { continue }
            if Syscall.processExists(entry.pid) {
                entries.append(entry)
            } else {
                _ = try? Syscall.unlink(path)
            }
        }
        return entries.sorted { $0.pid < $1.pid }
    }
}
