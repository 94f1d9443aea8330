#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Foundation

/// Anonymous page mappings for large tensors, with released pages kept for reuse.
///
/// Mapping every large buffer afresh costs a page fault and a page clearing per
/// 4 KiB (or per 2 MiB huge page): RoMa's full-size match once spent a fifth of its CPU
/// time there. Released pages therefore go to a pool (`PagePool`) and later requests
/// take them back, whatever their size: the pages are moved (`mremap`), not copied, so
/// pages released by one layer serve the next layer's differently shaped buffers.
/// Only when the pool is empty are fresh pages faulted in, so the pool does not raise
/// the peak resident size above the live buffers' peak; it bounds the idle pages kept
/// between peaks (`PagePool.limit`). Contents of a buffer are whatever its pages' last
/// owner left: tensors made this way are uninitialised by contract.
enum MappedPages {
    /// `ROMA_RETAINED_MB` overrides the pool's limit (default 1024 MB).
    static let shared: PagePool = {
        keepMallocPages()
        return PagePool(limit: (ProcessInfo.processInfo.environment["ROMA_RETAINED_MB"].flatMap(Int.init) ?? 1024) << 20)
    }()

    /// Buffers under 1 MB, and the libraries' scratch (oneDNN's and OpenBLAS's packing
    /// buffers), come from malloc. glibc gives the top of its heap back to the system as
    /// soon as 64 MB of it are free and maps each block over its (moving) threshold
    /// afresh, so the same scratch was faulted in and cleared again call after call:
    /// 2.1 GB of heap growth per full-size match. Fixed thresholds stop both (glibc's
    /// largest mmap threshold, 32 MB; a 512 MB trim threshold; the heap's peak stayed
    /// under 0.1 GB) unless the user set them (`GLIBC_TUNABLES`, `MALLOC_*_`).
    private static func keepMallocPages() {
        #if canImport(Glibc)
        let env = ProcessInfo.processInfo.environment
        guard env["GLIBC_TUNABLES"] == nil, env["MALLOC_TRIM_THRESHOLD_"] == nil, env["MALLOC_MMAP_THRESHOLD_"] == nil else { return }
        roma_malloc_thresholds(32 << 20, 512 << 20)
        #endif
    }

    static func acquire(_ bytes: Int) -> (base: UnsafeMutableRawPointer, bytes: Int)? { shared.acquire(bytes) }

    static func release(_ base: UnsafeMutableRawPointer, bytes: Int) { shared.release(base, bytes: bytes) }

    /// `body` on uninitialised scratch of `count` elements, from the pool from
    /// `TensorStorage.mappingThreshold` up (else malloc), handed back when it returns.
    /// For per-call buffers that are not tensors (the bf16 GEMM's packed operands): from
    /// malloc, those over its 32 MB mmap threshold were mapped and cleared afresh on
    /// every call (RoMa v2's bf16 refiners: 87 % of a match's page faults).
    static func withScratch<T, R>(_ type: T.Type, count: Int, pool: PagePool? = nil,
                                  _ body: (UnsafeMutablePointer<T>) throws -> R) rethrows -> R {
        let n = max(1, count), bytes = n * MemoryLayout<T>.stride, pool = pool ?? shared
        if bytes >= TensorStorage.mappingThreshold, let (p, size) = pool.acquire(bytes) {
            defer { pool.release(p, bytes: size) }
            return try body(p.bindMemory(to: T.self, capacity: n))
        }
        let p = UnsafeMutablePointer<T>.allocate(capacity: n)
        defer { p.deallocate() }
        return try body(p)
    }
}

/// A pool of released anonymous pages, handed out again to requests of any size.
///
/// Bookkeeping is in pieces: page ranges each known to lie inside one kernel mapping
/// (a moved range is always a new mapping, so `mremap` is only ever asked to move a
/// range inside one). A request is served, in order of preference,
/// 1. by an address-contiguous run of free pieces (no system call at all);
/// 2. else by a fresh mapping into which free pieces are moved, largest first, until it
///    is full or the pool is empty; the rest of it is fresh pages, faulted in on first
///    touch.
/// Released pieces beyond `limit` bytes are unmapped, smallest first (large pieces
/// serve requests with fewer moves). Thread-safe.
final class PagePool: @unchecked Sendable {
    struct Piece: Equatable {
        var base: Int
        var bytes: Int
        /// Which kernel mapping the piece lies in: adjacent pieces of one mapping merge.
        var mapping: Int
        var end: Int { base + bytes }
    }

    /// Bytes of free pages kept at most.
    let limit: Int
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private static let hugePage = 2 << 20
    private static let hugePageAdvice: Int32 = 14   // MADV_HUGEPAGE (Linux)

    /// `ROMA_HUGEPAGES=0` turns the huge-page advice off (comparisons: on the shared 2-core
    /// machine, alternating `roma-bench match` runs at load 5–10 put the match's system time
    /// at 5.1–6.5 s with it and 2.1–5.3 s without, total CPU within noise).
    private static let hugePages = ProcessInfo.processInfo.environment["ROMA_HUGEPAGES"] != "0"

    private let lock = NSLock()
    private var free: [Piece] = []          // sorted by base
    private var freeBytes = 0
    private var live: [Int: [Piece]] = [:]  // a handed-out buffer's pieces, by base
    private var nextMapping = 0
    private var fresh = 0, reused = 0, moves = 0

    init(limit: Int) { self.limit = limit }

    static func rounded(_ bytes: Int) -> Int { (max(1, bytes) + pageSize - 1) / pageSize * pageSize }

    /// Free bytes kept now; bytes handed out from fresh mappings and from kept pages so
    /// far; pieces moved so far.
    var statistics: (kept: Int, fresh: Int, reused: Int, moves: Int) {
        lock.withLock { (freeBytes, fresh, reused, moves) }
    }

    /// A buffer of at least `bytes` (page-rounded: the rounded size is what `release`
    /// expects), or nil when the system refuses one.
    func acquire(_ bytes: Int) -> (base: UnsafeMutableRawPointer, bytes: Int)? {
        let size = Self.rounded(bytes)
        lock.lock()
        if let pieces = carveRun(size) {
            live[pieces[0].base] = pieces
            reused += size
            lock.unlock()
            return (UnsafeMutableRawPointer(bitPattern: pieces[0].base)!, size)
        }
        let moving = takeLargest(upTo: size)
        lock.unlock()

        guard let dest = Self.map(size) else {
            lock.withLock { moving.forEach(insertFree) }
            return nil
        }
        var pieces: [Piece] = [], failed: [Piece] = [], filled = 0
        for p in moving {
            let target = dest + filled
            if roma_move_pages(UnsafeMutableRawPointer(bitPattern: p.base), p.bytes, UnsafeMutableRawPointer(bitPattern: target)) == 0 {
                pieces.append(Piece(base: target, bytes: p.bytes, mapping: -1))
                filled += p.bytes
            } else {
                failed.append(p)
            }
        }
        lock.lock()
        for i in pieces.indices { pieces[i].mapping = newMapping() }
        if filled < size { pieces.append(Piece(base: dest + filled, bytes: size - filled, mapping: newMapping())) }
        live[dest] = pieces
        failed.forEach(insertFree)
        fresh += size - filled; reused += filled; moves += pieces.count - (filled < size ? 1 : 0)
        let evicted = evictOverLimit()
        lock.unlock()
        evicted.forEach(Self.unmap)
        return (UnsafeMutableRawPointer(bitPattern: dest)!, size)
    }

    /// Hands a buffer from `acquire` back (with the size it returned).
    func release(_ base: UnsafeMutableRawPointer, bytes: Int) {
        let start = Int(bitPattern: base)
        lock.lock()
        let pieces = live.removeValue(forKey: start) ?? [Piece(base: start, bytes: Self.rounded(bytes), mapping: newMapping())]
        pieces.forEach(insertFree)
        let evicted = evictOverLimit()
        lock.unlock()
        evicted.forEach(Self.unmap)
    }

    // MARK: Bookkeeping (under the lock)

    private func newMapping() -> Int { nextMapping += 1; return nextMapping }

    /// Inserts a free piece in address order, merged with neighbours of the same mapping.
    private func insertFree(_ piece: Piece) {
        var p = piece
        var i = free.firstIndex { $0.base > p.base } ?? free.count
        if i < free.count, free[i].base == p.end, free[i].mapping == p.mapping {
            p.bytes += free[i].bytes
            free.remove(at: i)
        }
        if i > 0, free[i - 1].end == p.base, free[i - 1].mapping == p.mapping {
            free[i - 1].bytes += p.bytes
            i -= 1
        } else {
            free.insert(p, at: i)
        }
        freeBytes += piece.bytes
    }

    /// The front `size` bytes of the smallest address-contiguous run of free pieces that
    /// holds them, taken out of the pool; nil when no run is long enough.
    private func carveRun(_ size: Int) -> [Piece]? {
        var best: (start: Int, bytes: Int)?
        var start = 0
        while start < free.count {
            var end = start + 1, bytes = free[start].bytes
            while end < free.count, free[end].base == free[end - 1].end { bytes += free[end].bytes; end += 1 }
            if bytes >= size, best == nil || bytes < best!.bytes { best = (start, bytes) }
            start = end
        }
        guard let best else { return nil }
        var taken: [Piece] = [], need = size
        while need > 0 {
            let p = free[best.start]
            if p.bytes <= need {
                taken.append(free.remove(at: best.start))
                need -= p.bytes
            } else {
                taken.append(Piece(base: p.base, bytes: need, mapping: p.mapping))
                free[best.start].base += need
                free[best.start].bytes -= need
                need = 0
            }
        }
        freeBytes -= size
        return taken
    }

    /// Free pieces totalling at most `size` bytes, largest first (the last one possibly
    /// only its front part), taken out of the pool.
    private func takeLargest(upTo size: Int) -> [Piece] {
        var taken: [Piece] = [], need = size
        while need > 0, let i = free.indices.max(by: { free[$0].bytes < free[$1].bytes }) {
            let p = free[i]
            if p.bytes <= need {
                taken.append(free.remove(at: i))
                need -= p.bytes
            } else {
                taken.append(Piece(base: p.base, bytes: need, mapping: p.mapping))
                free[i].base += need
                free[i].bytes -= need
                need = 0
            }
        }
        freeBytes -= size - need
        return taken
    }

    /// Pieces (or their back parts) to unmap so that at most `limit` free bytes stay.
    private func evictOverLimit() -> [Piece] {
        var evicted: [Piece] = []
        while freeBytes > limit, let i = free.indices.min(by: { free[$0].bytes < free[$1].bytes }) {
            let excess = freeBytes - limit
            if free[i].bytes <= excess {
                evicted.append(free.remove(at: i))
                freeBytes -= evicted.last!.bytes
            } else {
                free[i].bytes -= excess
                evicted.append(Piece(base: free[i].end, bytes: excess, mapping: free[i].mapping))
                freeBytes -= excess
            }
        }
        return evicted
    }

    // MARK: System calls (outside the lock)

    /// A fresh mapping of `size` bytes; from 2 MiB up, aligned to 2 MiB and advised to use
    /// transparent huge pages (where the kernel offers them on request), which cuts the
    /// faults 512-fold.
    private static func map(_ size: Int) -> Int? {
        let huge = size >= hugePage
        let span = huge ? size + hugePage : size
        guard let p = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            return nil
        }
        var base = Int(bitPattern: p)
        if huge {
            let aligned = (base + hugePage - 1) / hugePage * hugePage
            if aligned > base { munmap(p, aligned - base) }
            let tail = base + span - (aligned + size)
            if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + size), tail) }
            base = aligned
            #if os(Linux)
            if hugePages { _ = madvise(UnsafeMutableRawPointer(bitPattern: base), size, hugePageAdvice) }
            #endif
        }
        return base
    }

    private static func unmap(_ piece: Piece) {
        munmap(UnsafeMutableRawPointer(bitPattern: piece.base), piece.bytes)
    }
}
