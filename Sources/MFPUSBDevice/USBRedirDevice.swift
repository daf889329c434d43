import BridgeSystem
import Foundation
import Glibc
import Logging
import MFPEmulator
import MFPKit
import Synchronization

/// The emulated machine as a USB device on a usbredir connection: QEMU (or SPICE) attaches it to
/// a virtual machine's USB controller, whose kernel enumerates it like a real printer.
///
/// `run()` connects to (or listens on) `address` and serves one peer at a time; when the peer
/// goes away it connects again (or accepts the next), so a rebooted guest or a restarted QEMU
/// finds the same machine. `unplug()` and `replug()` (`emulate-ctl unplug`, `replug`) withdraw
/// and present the device on the open connection, as a pulled and replugged cable does.
public final class USBRedirDevice: DeviceAttachment, Sendable {
    public let address: USBRedirAddress
    /// Listen for the peer instead of connecting to it.
    public let listens: Bool
    /// Benchmarks only (`emulate --usb-echo`): the printer interface whose bulk OUT data comes
    /// back on its bulk IN, a raw-throughput probe through the same connection.
    let echoInterface: DeviceProfile.USBInterface?
    let machine: VirtualMFP
    let requests: USBControlRequests
    let logger: Logger
    /// Written to by `unplug`/`replug` (other threads) to wake the serving loop.
    let wakeRead: Int32
    let wakeWrite: Int32
    let plugged = Atomic<Bool>(true)
    let stopped = Atomic<Bool>(false)

    public init(
        machine: VirtualMFP, address: USBRedirAddress, listens: Bool, echo: Bool = false, logger: Logger
    ) throws(EmulatorError) {
        self.machine = machine
        self.address = address
        self.listens = listens
        self.logger = logger
        requests = USBControlRequests(profile: machine.profile)
        guard requests.descriptors.linkInterface != nil else {
            throw EmulatorError("profile \(machine.profile.name) has no vendor interface (class ff/ff/ff with a bulk pair) to serve")
        }
        echoInterface =
            echo ? machine.profile.usb.interfaces.first { $0.interfaceClass == 7 && $0.bulkIn != nil && $0.bulkOut != nil } : nil
        if echo && echoInterface == nil {
            throw EmulatorError("profile \(machine.profile.name) has no printer interface with a bulk pair to echo on")
        }
        do throws(SystemError) {
            (wakeRead, wakeWrite) = try Syscall.pipe()
        } catch {
            throw EmulatorError("cannot create a wake pipe: \(error)")
        }
    }

    public var attachmentDescription: String { "USB over usbredir (\(address))" }

    public func unplug() throws(EmulatorError) {
        guard plugged.exchange(false, ordering: .sequentiallyConsistent) else {
            throw EmulatorError("the USB cable is already unplugged; replug plugs it back in")
        }
        Syscall.wake(wakeWrite)
    }

    public func replug() throws(EmulatorError) {
        guard !plugged.exchange(true, ordering: .sequentiallyConsistent) else {
            throw EmulatorError("the USB cable is already plugged in")
        }
        Syscall.wake(wakeWrite)
    }

    /// Serves peers until `stop()`.
    public func run() {
        var listener: Int32?
        defer { if let listener { Syscall.close(listener) } }
        var waitingSaid = false
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let fd: Int32
            do throws(SystemError) {
                if listens {
                    if listener == nil { listener = try address.listen() }
                    fd = try acceptPeer(listener!)
                } else {
                    fd = try address.connect()
                }
            } catch {
                if stopped.load(ordering: .sequentiallyConsistent) { return }
                // QEMU not up yet, or restarting: keep trying, say so once.
                if !waitingSaid {
                    logger.info("waiting for the usbredir peer at \(address): \(error)")
                    waitingSaid = true
                }
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            waitingSaid = false
            logger.info("usbredir peer connected at \(address)")
            let connection = USBRedirConnection(device: self, fd: fd)
            connection.serve()
            logger.info("the usbredir peer at \(address) went away; \(listens ? "waiting for the next" : "connecting again")")
        }
    }

    /// Ends `run()`: the connection is closed (the peer sees the device leave) and no other is made.
    public func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        Syscall.wake(wakeWrite)
    }

    private func acceptPeer(_ listener: Int32) throws(SystemError) -> Int32 {
        while true {
            if stopped.load(ordering: .sequentiallyConsistent) { throw SystemError(call: "accept", errno: ECANCELED) }
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            _ = try? Syscall.poll(&fds, timeoutMilliseconds: 1000)
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let fd = try Syscall.accept(listener)
            if case .tcp = address { try? Syscall.setNoDelay(fd) }
            return fd
        }
    }

    /// Drains the wake pipe (the loop re-reads `plugged` after).
    func drainWake() {
        while let bytes = try? Syscall.read(wakeRead, maxBytes: 64), !bytes.isEmpty {}
    }
}
