import Foundation

/// Hashes a receiver's bytes into the stream chain on a thread of its own, so that the thread
/// reading the link never waits for SHA-256. Bytes are handed over in stream order; the chain is
/// kept at the offsets marked for checkpoints. At most `limit` bytes wait to be hashed: beyond
/// that `absorb` blocks, so memory stays bounded when hashing is slower than the link.
///
/// `@unchecked Sendable`: every mutable field is read and written only with `condition` locked,
/// except `chain`, which only the hashing thread touches once started.
final class ChainHasher: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(bytes: [UInt8], skip: Int, mark: Bool)] = []
    private var queued = 0
    private let limit: Int
    private var points: [UInt64: ChainPoint] = [:]
    private var stopping = false
    /// The hashing thread waits for work (only then is it worth a wake-up).
    private var idle = false
    private var chain: StreamChain

    init(start: StreamChain, limit: Int = 16 << 20) {
        chain = start
        self.limit = limit
        let thread = Thread { [self] in loop() }
        thread.name = "mfpbridge chain hash"
        thread.start()
    }

    /// Hashes `bytes[skip...]` next; with `mark`, keeps the chain at their end for ``point(at:)``.
    func absorb(_ bytes: [UInt8], skip: Int, mark: Bool) {
        condition.lock()
        while queued >= limit && !stopping { condition.wait() }
        queue.append((bytes, skip, mark))
        queued += bytes.count - skip
        // Wake the hashing thread for a batch, not for every small frame of a serial line: each
        // wake-up is a context switch.
        if idle && (mark || queued >= Self.batch) { condition.broadcast() }
        condition.unlock()
    }

    private static let batch = 256 << 10

    /// The chain at `offset`, the end of bytes absorbed with `mark`; waits until they are hashed.
    /// Nil once stopped.
    func point(at offset: UInt64) -> ChainPoint? {
        condition.lock()
        defer { condition.unlock() }
        while points[offset] == nil && !stopping { condition.wait() }
        let point = points[offset]
        points = points.filter { $0.key >= offset }
        return point
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while (queue.isEmpty || (queued < Self.batch && !queue.contains(where: \.mark))) && !stopping {
                idle = true
                condition.wait()
            }
            idle = false
            if stopping {
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()

            for next in batch {
                next.bytes.withUnsafeBytes { chain.absorb(UnsafeRawBufferPointer(rebasing: $0[next.skip...])) }
                let point = next.mark ? chain.point : nil
                condition.lock()
                let wasFull = queued >= limit
                queued -= next.bytes.count - next.skip
                if let point { points[point.offset] = point }
                if point != nil || (wasFull && queued < limit) { condition.broadcast() }
                condition.unlock()
            }
        }
    }
}
