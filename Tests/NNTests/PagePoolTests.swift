import Foundation
@testable import NN
import Testing

/// `PagePool` hands released pages to later requests of any size: carved in place from
/// a contiguous run, or moved (not copied) into a fresh mapping. Each test has its own
/// pool, so tests running in parallel do not see one another's pages.
@Suite struct PagePoolTests {
    static let mb = 1 << 20

    /// Writes `value + i` at every 1024th float of the buffer (and its last one).
    func stamp(_ p: UnsafeMutableRawPointer, bytes: Int, _ value: Float) {
        let f = p.bindMemory(to: Float.self, capacity: bytes / 4)
        for i in stride(from: 0, to: bytes / 4, by: 1024) { f[i] = value + Float(i) }
        f[bytes / 4 - 1] = value
    }

    func stamped(_ p: UnsafeMutableRawPointer, bytes: Int, _ value: Float, from: Int = 0) -> Bool {
        let f = p.bindMemory(to: Float.self, capacity: bytes / 4)
        return stride(from: from / 4, to: bytes / 4, by: 1024).allSatisfy { f[$0] == value + Float($0) }
    }

    func zero(_ p: UnsafeMutableRawPointer, from: Int, to: Int) -> Bool {
        let f = p.bindMemory(to: Float.self, capacity: to / 4)
        return stride(from: from / 4, to: to / 4, by: 1024).allSatisfy { f[$0] == 0 }
    }

    @Test func releasedPagesServeSmallerAndLargerRequests() throws {
        let pool = PagePool(limit: 64 * Self.mb)
        let a = try #require(pool.acquire(8 * Self.mb))
        #expect(a.bytes == 8 * Self.mb && Int(bitPattern: a.base) % PagePool.pageSize == 0)
        stamp(a.base, bytes: a.bytes, 1)
        pool.release(a.base, bytes: a.bytes)
        #expect(pool.statistics.kept == 8 * Self.mb)

        // Smaller: the front of the kept pages, in place, contents as left.
        let b = try #require(pool.acquire(3 * Self.mb))
        #expect(b.base == a.base && stamped(b.base, bytes: b.bytes, 1))
        #expect(pool.statistics.kept == 5 * Self.mb && pool.statistics.reused == 3 * Self.mb)

        // Larger than any kept run: the other 5 MB are moved to the front of a fresh
        // mapping (their contents travel with them), the rest is fresh zero pages.
        let c = try #require(pool.acquire(12 * Self.mb + 100))
        #expect(c.bytes == 12 * Self.mb + PagePool.pageSize)
        let moved = c.base.bindMemory(to: Float.self, capacity: c.bytes / 4)
        let offset = 3 * Self.mb / 4
        #expect(moved[0] == 1 + Float(offset) && moved[1024] == 1 + Float(offset + 1024))
        #expect(zero(c.base, from: 5 * Self.mb, to: c.bytes))
        let s = pool.statistics
        #expect(s.kept == 0 && s.moves == 1 && s.fresh == 8 * Self.mb + 7 * Self.mb + PagePool.pageSize)

        pool.release(b.base, bytes: b.bytes)
        pool.release(c.base, bytes: c.bytes)
        #expect(pool.statistics.kept == 15 * Self.mb + PagePool.pageSize)
    }

    @Test func piecesOfSeveralMappingsAreMovedTogetherAndComeBackAsOneRun() throws {
        let pool = PagePool(limit: 64 * Self.mb)
        let a = try #require(pool.acquire(4 * Self.mb)), b = try #require(pool.acquire(4 * Self.mb))
        let c = try #require(pool.acquire(4 * Self.mb))
        stamp(a.base, bytes: a.bytes, 10); stamp(c.base, bytes: c.bytes, 30)
        pool.release(a.base, bytes: a.bytes)
        pool.release(c.base, bytes: c.bytes)   // b stays live between them

        let d = try #require(pool.acquire(8 * Self.mb))
        let halves = [stamped(d.base, bytes: 4 * Self.mb, 10) || stamped(d.base, bytes: 4 * Self.mb, 30),
                      stamped(d.base + 4 * Self.mb, bytes: 4 * Self.mb, 10) || stamped(d.base + 4 * Self.mb, bytes: 4 * Self.mb, 30)]
        #expect(halves == [true, true], "both released buffers' pages moved in")
        #expect(pool.statistics.moves == 2 && pool.statistics.fresh == 12 * Self.mb + 0)
        stamp(d.base, bytes: d.bytes, 40)

        // Released, d's two pieces are adjacent: the next 8 MB request takes them in
        // place (no move), and a buffer made of two mappings can be released again.
        pool.release(d.base, bytes: d.bytes)
        let e = try #require(pool.acquire(6 * Self.mb))
        #expect(e.base == d.base && stamped(e.base, bytes: e.bytes, 40) && pool.statistics.moves == 2)
        pool.release(e.base, bytes: e.bytes)
        let f = try #require(pool.acquire(8 * Self.mb))
        #expect(f.base == d.base && pool.statistics.moves == 2)
        pool.release(f.base, bytes: f.bytes)
        pool.release(b.base, bytes: b.bytes)
        #expect(pool.statistics.kept == 12 * Self.mb)
    }

    @Test func keptPagesStayWithinTheLimit() throws {
        let pool = PagePool(limit: 5 * Self.mb)
        let buffers = try (0..<3).map { _ in try #require(pool.acquire(3 * Self.mb)) }
        for b in buffers { pool.release(b.base, bytes: b.bytes) }
        #expect(pool.statistics.kept == 5 * Self.mb)
        // What is kept is usable: 5 MB reused, the rest fresh.
        let big = try #require(pool.acquire(9 * Self.mb))
        stamp(big.base, bytes: big.bytes, 7)
        #expect(stamped(big.base, bytes: big.bytes, 7))
        #expect(pool.statistics.reused == 5 * Self.mb && pool.statistics.kept == 0)
        pool.release(big.base, bytes: big.bytes)
        #expect(pool.statistics.kept == 5 * Self.mb)
    }

    @Test func concurrentBuffersNeverShareAPage() {
        let pool = PagePool(limit: 24 * Self.mb)
        let failures = Atomic(0), requested = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            var rng = SystemRandomNumberGenerator()
            var held: [(base: UnsafeMutableRawPointer, bytes: Int, value: Float)] = []
            for round in 0..<40 {
                let size = Int.random(in: 1...(3 * Self.mb), using: &rng)
                guard let b = pool.acquire(size) else { failures.add(1); continue }
                requested.add(b.bytes)
                let value = Float(t * 1000 + round)
                stamp(b.base, bytes: b.bytes, value)
                held.append((b.base, b.bytes, value))
                if held.count > 3 || Bool.random(using: &rng) {
                    let h = held.removeFirst()
                    if !stamped(h.base, bytes: h.bytes, h.value) { failures.add(1) }
                    pool.release(h.base, bytes: h.bytes)
                }
            }
            for h in held {
                if !stamped(h.base, bytes: h.bytes, h.value) { failures.add(1) }
                pool.release(h.base, bytes: h.bytes)
            }
        }
        let s = pool.statistics
        #expect(failures.load() == 0)
        #expect(s.kept <= 24 * Self.mb && s.fresh + s.reused == requested.load())
    }
}

/// A counter shared by test threads.
private final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ value: Int) { self.value = value }
    func add(_ n: Int) { lock.withLock { value += n } }
    func load() -> Int { lock.withLock { value } }
}
