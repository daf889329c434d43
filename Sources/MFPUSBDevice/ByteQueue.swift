/// A first-in first-out queue of bytes that copies with memmove, never byte by byte (a debug
/// build runs Array's generic append and removeFirst per element: 10 times slower on the bulk
/// path). Not thread-safe: one connection's thread owns it.
final class ByteQueue {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    var count: Int { end - start }
    var isEmpty: Bool { end == start }

    func append(_ bytes: UnsafeRawPointer, count: Int) {
        guard count > 0 else { return }
        if end + count > capacity {
            // Move what is left to the front; grow only when that is not room enough.
            let left = end - start
            if left + count > capacity {
                let grown = max(capacity * 2, left + count)
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
                bigger.copyMemory(from: storage + start, byteCount: left)
                storage.deallocate()
                storage = bigger
                capacity = grown
            } else {
                storage.copyMemory(from: storage + start, byteCount: left)
            }
            start = 0
            end = left
        }
        (storage + end).copyMemory(from: bytes, byteCount: count)
        end += count
    }

    /// The oldest bytes, at most `limit` of them, without taking them.
    func peek(limit: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage + start, count: min(limit, count))
    }

    /// Drops the `count` oldest bytes.
    func consume(_ count: Int) {
        start += min(count, self.count)
        if start == end {
            start = 0
            end = 0
        }
    }

    func removeAll() {
        start = 0
        end = 0
    }
}
