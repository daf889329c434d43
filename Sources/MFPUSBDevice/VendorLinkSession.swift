import BridgeLink
import BridgeSystem
import Foundation
import Glibc
import Logging
import MFPEmulator

/// The vendor interface's byte stream for one presence on the bus: a socket pair whose one end
/// the connection reads and writes (non-blocking, `deviceEnd`), the other served by an
/// ``EmulatorServer`` on a thread of its own, with the line faults and line speed of every link.
final class VendorLinkSession {
    let deviceEnd: Int32
    let server: EmulatorServer

    init(machine: VirtualMFP, logger: Logger, label: String) throws {
        let ends = try Syscall.socketpair(Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
        deviceEnd = ends.0
        let link = try SocketLink.adopt(FileDescriptor(takingOwnershipOf: ends.1), address: label)
        let server = EmulatorServer(device: machine, link: link, logger: logger)
        self.server = server
        Thread {
            server.run()
            link.close()
        }.start()
    }

    /// Ends the session: the server sees its link close and ends the machine's session.
    func end() {
        server.stop()
        Syscall.close(deviceEnd)
    }
}
