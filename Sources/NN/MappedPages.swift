#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Anonymous page mappings for large tensors, with released mappings kept for reuse.
///
/// A forward pass releases and requests buffers of the same few sizes over and over
/// (24 identical DINOv2 blocks, eight identical refiner blocks per scale). Mapping
/// each afresh costs a page fault and a page clearing per 4 KiB: in RoMa's full-size
/// match that was about 7 million faults and a fifth of all CPU time. Released
/// mappings are therefore kept, up to `retainedLimit` bytes, and handed out again to
/// a request of the same rounded size or down to `reuseSlack` of it (the smallest
/// that fits), so activations whose sizes differ slightly between scales still reuse.
/// When the limit is reached the oldest kept mapping is unmapped. The contents of a
/// reused mapping are whatever its last owner left: tensors made this way are
/// uninitialised by contract.
///
/// Mappings of 2 MiB and more are marked for transparent huge pages where the
/// kernel offers them on request (`madvise` mode), which cuts the remaining faults
/// 512-fold (not, measured here, their system time: `hugePages`).
enum MappedPages {
    /// Bytes of released mappings kept at most. It bounds how much the peak resident
    /// size can grow over the live tensors' (RoMa's full-size match keeps about
    /// 2.3 GB live).
    static let retainedLimit = 384 << 20
    /// A kept mapping serves a request down to this fraction of its size (the rest
    /// stays resident but idle, as it was while kept).
    static let reuseSlack = 0.8

    private static let lock = NSLock()
    nonisolated(unsafe) private static var kept: [(base: UnsafeMutableRawPointer, bytes: Int)] = []
    nonisolated(unsafe) private static var keptBytes = 0
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private static let hugePageAdvice: Int32 = 14   // MADV_HUGEPAGE (Linux)

    /// `ROMA_HUGEPAGES=0` turns the huge-page advice off (comparisons: on the shared 2-core
    /// machine, alternating `roma-bench match` runs at load 5–10 put the match's system time
    /// at 5.1–6.5 s with it and 2.1–5.3 s without, total CPU within noise).
    private static let hugePages = ProcessInfo.processInfo.environment["ROMA_HUGEPAGES"] != "0"

    static func rounded(_ bytes: Int) -> Int { (bytes + pageSize - 1) / pageSize * pageSize }

    /// A mapping of at least `bytes` (page-rounded; the rounded size is what `release`
    /// expects), or nil when the system refuses one.
    static func acquire(_ bytes: Int) -> (base: UnsafeMutableRawPointer, bytes: Int)? {
        let size = rounded(bytes)
        lock.lock()
        var best: Int?
        for (i, m) in kept.enumerated() where m.bytes >= size && Double(size) >= Double(m.bytes) * reuseSlack {
            if best == nil || m.bytes <= kept[best!].bytes { best = i }   // ties: the latest released
        }
        if let i = best {
            let hit = kept.remove(at: i)
            keptBytes -= hit.bytes
            lock.unlock()
            return hit
        }
        lock.unlock()
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            return nil
        }
        #if os(Linux)
        if size >= 2 << 20 && hugePages { _ = madvise(p, size, hugePageAdvice) }
        #endif
        return (p, size)
    }

    /// Hands a mapping from `acquire` back (with the size it returned): kept for reuse while under the limit.
    static func release(_ base: UnsafeMutableRawPointer, bytes: Int) {
        let size = rounded(bytes)
        var evicted: [(base: UnsafeMutableRawPointer, bytes: Int)] = []
        lock.lock()
        if size <= retainedLimit {
            kept.append((base, size))
            keptBytes += size
            while keptBytes > retainedLimit, !kept.isEmpty {
                let oldest = kept.removeFirst()
                keptBytes -= oldest.bytes
                evicted.append(oldest)
            }
        } else {
            evicted.append((base, size))
        }
        lock.unlock()
        for m in evicted { munmap(m.base, m.bytes) }
    }
}
