import BridgeLink
import BridgeWire
import Crypto
import Foundation
import MFPKit

extension DeviceSession {
    /// R5: the status, if nothing blocks an import/export from starting; refuses naming every blocker.
    public func statusIfIdle(for operation: String) throws(BridgeError) -> DeviceStatus {
        let status = try status()
        let blockers = ImportExportPreflight.blockers(for: status)
        guard blockers.isEmpty else {
            throw BridgeError(.refusedByDeviceState, "\(operation) cannot start: the machine is busy", blockers: blockers)
        }
        return status
    }

    /// R4, R5, R12: takes the device's exclusive reservation; the device refuses while blocked.
    public func reserve(_ operation: String, categories: [SettingCategory]) throws(BridgeError) -> String {
        let response = try call(.reserve(operation: operation, categories: categories), attempts: 1)
        switch response {
        case let .reserved(token, _): return token
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(response, to: "reserve")
        }
    }

    /// Keeps a reservation alive from another thread (every 10 s) while the caller waits, for
    /// example for the operator's confirmation. Stop it before releasing.
    public func keepAlive(_ token: String, every interval: TimeInterval = 10) -> Keepalive {
        let keepalive = Keepalive()
        Thread { [self] in
            while !keepalive.wait(interval) {
                do {
                    _ = try call(.keepalive(token: token), attempts: 1)
                } catch {
                    logger.warning("keepalive failed: \(error)")
                }
            }
        }.start()
        return keepalive
    }

    /// Gives the reservation back; a failure here is logged, not thrown (the reservation lapses anyway).
    public func release(_ token: String) {
        do {
            _ = try call(.release(token: token), attempts: 2)
        } catch {
            // Usually the device is gone (unplugged, off): it frees the reservation itself.
            logger.debug("could not release the reservation: \(error); the device frees it when the link ends, or after 30 seconds")
        }
    }

    /// Reads the selected settings off the device as one consistent snapshot.
    public func exportSettings(token: String, selections: [CategorySelection],
                               progress: (Int, Int) -> Void = { _, _ in }) throws(BridgeError) -> (BundleOrigin, SettingsSnapshot) {
        let response = try call(.exportOpen(token: token, categories: selections), attempts: 1)
        guard case let .exportReady(stream, size, sha256, origin) = response else {
            if case let .failure(failure) = response { throw Self.failure(failure) }
            throw Self.unexpected(response, to: "export-open")
        }
        let bytes = try receiveStream(stream, size: size, progress: progress)
        guard Self.sha256Hex(bytes) == sha256 else {
            throw BridgeError(.failure, "the export arrived damaged (digest mismatch); nothing was written, run the export again")
        }
        do {
            return (origin, try SettingsStream.decode(bytes))
        } catch {
            throw BridgeError(.failure, "the device sent settings this bridge cannot read: \(error)")
        }
    }

    /// Sends content to import; the device plans it by its own rules and stages it durably (R3).
    public func stageImport(token: String, origin: BundleOrigin, selections: [CategorySelection], content: SettingsSnapshot,
                            progress: (Int, Int) -> Void = { _, _ in }) throws(BridgeError) -> ImportPlan {
        let bytes = SettingsStream.encode(content)
        let begin = try call(.importBegin(token: token, origin: origin, categories: selections, size: bytes.count,
                                          sha256: Self.sha256Hex(bytes)), attempts: 1)
        guard case let .importReady(stream) = begin else {
            if case let .failure(failure) = begin { throw Self.failure(failure) }
            throw Self.unexpected(begin, to: "import-begin")
        }
        try sendStream(bytes, stream: stream, progress: progress)
        let staged = try call(.importStage(token: token), timeout: .seconds(60), attempts: 1)
        switch staged {
        case let .importPlan(plan): return plan
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(staged, to: "import-stage")
        }
    }

    /// Applies the staged import in one atomic step on the device.
    public func commitImport(token: String) throws(BridgeError) {
        let response = try call(.importCommit(token: token), timeout: .seconds(60), attempts: 1)
        switch response {
        case .ok: return
        case let .failure(failure): throw Self.failure(failure)
        default: throw Self.unexpected(response, to: "import-commit")
        }
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    private func receiveStream(_ stream: UInt32, size: Int, progress: (Int, Int) -> Void) throws(BridgeError) -> [UInt8] {
        exchange.lock()
        defer { exchange.unlock() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        progress(0, size)
        while true {
            let frame: Frame?
            do {
                frame = try channel.receive(timeout: .seconds(10))
            } catch {
                throw Self.linkFailure(error)
            }
            guard let frame else {
                throw BridgeError(.unreachable, "the device stopped sending after \(bytes.count) of \(size) bytes; nothing was written, run the export again")
            }
            guard frame.type == .data, frame.id == stream else { continue }
            guard frame.offset == UInt64(bytes.count) else {
                throw BridgeError(.failure, "part of the export was lost on the line (expected byte \(bytes.count), got \(frame.offset)); nothing was written, run the export again")
            }
            bytes += frame.payload
            progress(bytes.count, size)
            if frame.flags.contains(.last) { break }
        }
        guard bytes.count == size else {
            throw BridgeError(.failure, "the export ended after \(bytes.count) of \(size) bytes; nothing was written, run the export again")
        }
        return bytes
    }

    private func sendStream(_ bytes: [UInt8], stream: UInt32, progress: (Int, Int) -> Void) throws(BridgeError) {
        exchange.lock()
        defer { exchange.unlock() }
        do {
            try channel.sendData(bytes, stream: stream, progress: progress)
        } catch {
            throw Self.linkFailure(error)
        }
    }
}

/// Stops a keepalive thread.
public final class Keepalive: Sendable {
    private let stopped = DispatchSemaphore(value: 0)

    /// Waits `interval`; true once stopped.
    func wait(_ interval: TimeInterval) -> Bool {
        stopped.wait(timeout: .now() + interval) == .success
    }

    public func stop() {
        stopped.signal()
    }
}
