import BridgeSystem
import BridgeWire
import Foundation
import Glibc
import Testing

@testable import BridgeLink

@Suite struct SocketLinkTests {
    @Test func pairRoundTrip() throws {
        let (a, b) = try SocketLink.pair()
        defer { a.close(); b.close() }
        #expect(a.framing == .raw)
        let bytes = (0...255).map { UInt8($0) }
        try a.send(bytes)
        #expect(try receiveExactly(b, count: 256) == bytes)
        try b.send([9, 8, 7])
        #expect(try receiveExactly(a, count: 3) == [9, 8, 7])
    }

    @Test func pairCarriesOneMebibyteEachWayConcurrently() throws {
        let (a, b) = try SocketLink.pair()
        defer { a.close(); b.close() }
        let size = 1 << 20
        let up = patternBytes(size, seed: 3), down = patternBytes(size, seed: 4)
        let aSends = Worker { Result { () throws(LinkError) in try a.send(up) } }
        let bSends = Worker { Result { () throws(LinkError) in try b.send(down) } }
        let bReceives = Worker { Result { () throws(LinkError) in try receiveExactly(b, count: size) } }
        #expect(try receiveExactly(a, count: size) == down)
        #expect(try bReceives.join()?.get() == up)
        #expect(throws: Never.self) { try aSends.join()?.get() }
        #expect(throws: Never.self) { try bSends.join()?.get() }
    }

    @Test func listenerAndConnectRoundTrip() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/bridge.sock"
        let listener = try SocketListener(path: path)
        defer { listener.close() }
        #expect(try listener.accept(timeout: .milliseconds(20)) == nil)

        let client = try SocketLink.connect(path: path)
        defer { client.close() }
        #expect(client.address == "unix:\(path)")
        let server = try #require(try listener.accept(timeout: .seconds(5)))
        defer { server.close() }
        try client.send(Array("hello".utf8))
        #expect(try receiveExactly(server, count: 5) == Array("hello".utf8))
        try server.send(Array("world".utf8))
        #expect(try receiveExactly(client, count: 5) == Array("world".utf8))

        listener.close()
        #expect(!FileManager.default.fileExists(atPath: path), "close removes the socket file")
        #expect(linkError { _ = try listener.accept(timeout: .zero) }?.code == .closed)
    }

    @Test func peerCloseIsReportedAsClosed() throws {
        let (a, b) = try SocketLink.pair()
        defer { a.close() }
        try b.send([1, 2])
        b.close()
        // Data sent before the close still arrives, then the end of the connection.
        #expect(try receiveExactly(a, count: 2) == [1, 2])
        let error = linkError { _ = try a.receive(maxBytes: 10, timeout: .seconds(5)) }
        #expect(error?.code == .closed)
        #expect(error?.message.contains("peer closed") == true)
        // Sending to a closed peer: EPIPE without SIGPIPE killing the test process.
        #expect(linkError { try a.send(Array(repeating: 7, count: 100_000)) }?.code == .closed)
    }

    @Test func closeUnblocksReceiveAndStalledSend() throws {
        let (a, b) = try SocketLink.pair()
        defer { b.close() }
        let receiving = Worker { linkError { _ = try a.receive(maxBytes: 10, timeout: .seconds(10)) } }
        // b never reads: a's send fills the socket buffer and waits for room.
        let sending = Worker { linkError { try a.send(Array(repeating: 1, count: 8 << 20)) } }
        Thread.sleep(forTimeInterval: 0.2)
        let started = ContinuousClock.now
        a.close()
        #expect(receiving.join(timeout: .seconds(2))??.code == .closed)
        #expect(sending.join(timeout: .seconds(2))??.code == .closed)
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func sendTimesOutWhenThePeerStopsReading() throws {
        let (a, b) = try SocketLink.pair(sendStallTimeout: .milliseconds(200))
        defer { a.close(); b.close() }
        let error = linkError { try a.send(Array(repeating: 1, count: 8 << 20)) }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("not reading") == true)
    }

    @Test func staleSocketFileIsReplaced() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/stale.sock"
        // A listener that died without cleaning up: the file stays, nothing answers.
        let fd = try Syscall.socket(Int32(SOCK_STREAM.rawValue))
        try Syscall.bind(fd, try #require(Syscall.unixAddress(path)))
        try Syscall.listen(fd, backlog: 1)
        Syscall.close(fd)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(linkError { _ = try SocketLink.connect(path: path) }?.code == .notFound)

        let listener = try SocketListener(path: path)
        defer { listener.close() }
        let client = try SocketLink.connect(path: path)
        defer { client.close() }
        #expect(try listener.accept(timeout: .seconds(5)) != nil)
    }

    @Test func liveSocketIsNotStolen() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/live.sock"
        let first = try SocketListener(path: path)
        defer { first.close() }
        let error = linkError { _ = try SocketListener(path: path) }
        #expect(error?.code == .busy)

        // The first listener still serves (after the probe connection the check made).
        let client = try SocketLink.connect(path: path)
        defer { client.close() }
        try client.send([42])
        var got: [UInt8] = []
        while got.isEmpty, let server = try first.accept(timeout: .seconds(2)) {
            got = (try? receiveExactly(server, count: 1, within: .seconds(2))) ?? []
            server.close()
        }
        #expect(got == [42])
    }

    @Test func nonSocketFileIsNeverRemoved() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/precious"
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1])))
        #expect(linkError { _ = try SocketListener(path: path) }?.code == .busy)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func connectErrors() {
        #expect(linkError { _ = try SocketLink.connect(path: "/tmp/mfpb-nothing-here.sock") }?.code == .notFound)
        #expect(linkError { _ = try SocketLink.connect(path: "/tmp/" + String(repeating: "x", count: 200)) }?.code == .invalidAddress)
        #expect(linkError { _ = try SocketLink.connect(path: "") }?.code == .invalidAddress)
    }
}
