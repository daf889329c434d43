import BridgeClient
import BridgeLink
import BridgeSystem
import BridgeTransfer
import Foundation

/// The machine an operation reached. Once an operation has reached one, it continues on that
/// machine only: an address without a serial number (`usb:VID:PID`, `usb:BUS-PORT`, a serial port,
/// a socket) may be answered later by another machine, and that one is refused.
public struct MachineIdentity: Codable, Sendable, Hashable, CustomStringConvertible {
    public var model: String
    /// The serial number the machine gives in `hello`.
    public var serialNumber: String
    /// The USB device's own serial number, when the link is USB and the device has one.
    public var usbSerial: String?

    public init(model: String, serialNumber: String, usbSerial: String? = nil) {
        self.model = model
        self.serialNumber = serialNumber
        self.usbSerial = usbSerial
    }

    /// The machine a logged-in session talks to.
    public init?(session: DeviceSession) {
        guard let device = session.device else { return nil }
        let usb = (session.channel.link as? USBLink)?.device.serial
        self.init(model: device.model, serialNumber: device.serialNumber, usbSerial: usb.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The same machine: the same serial number, and the same USB serial where both are known.
    public func isSameMachine(as other: MachineIdentity) -> Bool {
        guard serialNumber == other.serialNumber else { return false }
        if let mine = usbSerial, let theirs = other.usbSerial { return mine == theirs }
        return true
    }

    public var description: String {
        "\(model) serial \(serialNumber)" + (usbSerial.map { " (USB serial \($0))" } ?? "")
    }
}

/// An operation that did not finish and can be continued: what to do (operation, address, files,
/// the arguments to run it again, never a password), the machine it reached, and whether the
/// machine was asked to apply it without an answer. One file per operation in `DATA/pending/`.
public struct PendingOperation: Codable, Sendable, Equatable {
    /// `export`, `import`, `box-backup` or `box-restore`.
    public var operation: String
    /// The device address as the user gave it.
    public var address: String
    /// The files it reads or writes, absolute.
    public var files: [String]
    /// The command line that runs it again (`mfpbridge resume`).
    public var arguments: [String]
    public var startedAt: Date
    /// The machine it reached first: it continues on that machine only.
    public var machine: MachineIdentity?
    /// The transfer whose apply the machine was asked for without an answer: the next run asks the
    /// machine whether it was applied before doing anything else.
    public var applyAskedFor: UInt64?
    /// Why it stopped last (for `mfpbridge resume --list`), and whether a rerun continues it.
    public var lastError: String?
    /// The machine and login, and what was asked: enough to run it again with no command line.
    public var target: DeviceTarget?
    public var options: PendingOptions?

    /// The short name `mfpbridge resume --discard` takes: derived from operation, address and files,
    /// so that running the same operation again finds its own record.
    public var id: String {
        let key = ([operation, address] + files).joined(separator: "\u{1}")
        let hash = key.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        return String(String(hash, radix: 16).suffix(10))
    }

    public init(
        operation: String, target: DeviceTarget, files: [String], options: PendingOptions = PendingOptions(),
        arguments: [String], startedAt: Date = Date()
    ) {
        self.operation = operation
        self.address = target.address
        self.target = target
        self.files = files
        self.options = options
        self.arguments = arguments
        self.startedAt = startedAt
    }
}

/// What an operation was asked to do besides its machine and files (never a password).
public struct PendingOptions: Codable, Sendable, Equatable {
    /// Settings categories (`address-book`, `user-group-address-lists:05`); empty with `all`.
    public var categories: [String]
    public var all: Bool
    /// The bundle password file's path (R13), when one was given.
    public var bundlePasswordFile: String?
    /// The operator already confirmed (or the command was started with --yes).
    public var confirmed: Bool

    public init(categories: [String] = [], all: Bool = false, bundlePasswordFile: String? = nil, confirmed: Bool = false) {
        self.categories = categories
        self.all = all
        self.bundlePasswordFile = bundlePasswordFile
        self.confirmed = confirmed
    }
}

/// The records of `DATA/pending/`, each written durably (write, fsync, rename).
public struct PendingOperations: Sendable {
    public let folder: String

    public init(folder: String = DataDirectory.path() + "/pending") {
        self.folder = folder
    }

    private func path(_ id: String) -> String { "\(folder)/\(id).json" }

    /// The record of this operation: the one an earlier run left (it keeps the machine it reached),
    /// or a new one. Written at once, so an interruption from here on is remembered.
    public func begin(_ operation: PendingOperation) throws(BridgeError) -> PendingOperation {
        var record = load(operation.id) ?? operation
        record.arguments = operation.arguments
        record.target = operation.target
        record.options = operation.options
        try save(record)
        return record
    }

    public func load(_ id: String) -> PendingOperation? {
        guard let data = FileManager.default.contents(atPath: path(id)) else { return nil }
        return try? Self.decoder.decode(PendingOperation.self, from: data)
    }

    public func save(_ record: PendingOperation) throws(BridgeError) {
        do {
            try DurableFile.makeDirectory(folder)
            try DurableFile.write(Array(try Self.encoder.encode(record)), to: path(record.id))
        } catch {
            throw BridgeError(.failure, "cannot remember the operation in \(folder): \(error)")
        }
    }

    /// The operation ended (done, or failed in a way a rerun would not continue): its record goes.
    public func finish(_ record: PendingOperation) {
        _ = try? Syscall.unlink(path(record.id))
    }

    /// Keeps the record when the operation can be continued (interrupted, the device gone, the
    /// outcome not known yet, or a failure that left a part file to continue); drops it otherwise.
    public func end(_ record: PendingOperation, error: (any Error)?, keepsPartialWork: Bool = false) {
        let status = (error as? BridgeError)?.status
        if error != nil && (status == .interrupted || status == .unreachable || keepsPartialWork) {
            var kept = load(record.id) ?? record
            kept.lastError = (error as? BridgeError)?.message ?? error.map { "\($0)" }
            try? save(kept)
        } else {
            finish(record)
        }
    }

    /// Every record, oldest first.
    public func list() -> [PendingOperation] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { load(String($0.dropLast(5))) }
            .sorted { $0.startedAt < $1.startedAt }
    }

    /// Binds the operation to the machine the session reached, or refuses another machine (exit 3,
    /// naming both; `--wait` keeps waiting for the right one).
    public func bind(_ record: inout PendingOperation, to session: DeviceSession) throws(BridgeError) {
        guard let identity = MachineIdentity(session: session) else { return }
        if let bound = record.machine {
            guard bound.isSameMachine(as: identity) else {
                throw BridgeError(
                    .unreachable,
                    """
                    this \(record.operation) started on \(bound), but the machine at \(record.address) is now \(identity): \
                    it continues only on the machine it started on, and nothing was sent to this one. \
                    Connect \(bound.model) \(bound.serialNumber) and run the same command again, or drop the interrupted \
                    \(record.operation) with `mfpbridge resume --discard \(record.id)` to start afresh on this machine
                    """)
            }
            return
        }
        record.machine = identity
        try save(record)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
