import Foundation
import Parallel

// Attention as independent tiles, one thread each: (head, block of query rows) jobs,
// each computing its scores q·kᵀ, their row softmax and P·v on its own thread, in a
// score block small enough to stay in that core's L2 cache.
//
// The plain path (`attendHead`) runs each of those three steps on all threads in
// turn, with a score block of up to 8 MB: every block went out to memory and back
// three times, and each step waited for the slower thread before the next began
// (six synchronisations per head and block). `roma match` runs 48 ViT-L layers of 16
// heads over 1601 tokens, and the match decoder's attention, this way.
//
// Same arithmetic as `attendHead` (one GEMM per product, the same softmax), only the
// row blocking differs; tests compare both with a double-precision reference.

/// Score floats per tile: 512 KB, half of this machine's 1 MB L2 per core, so the
/// scores stay cached between the two products. At ViT-L's 1601 tokens: 81 query rows.
let attentionTileBudget = 1 << 17
/// Query rows per tile at least, so the products keep a useful height for long keys.
let attentionMinimumTileRows = 16

/// Off by default: `ROMA_ATTENTION_TILES=on` runs attention as per-thread tiles. On this
/// shared, loaded 2-core machine the tiles measured slower in wall time (docs/runtime.md,
/// "Per-thread tiles"). Winograd's bands have their own switch (WinogradTiles.swift).
let threadTilesEnabled = ProcessInfo.processInfo.environment["ROMA_ATTENTION_TILES"] == "on"

/// Pointers and leading dimensions of one head's q [n, d], k [m, d], v [m, dv] and out [n, dv].
struct HeadOperands {
    var q, k, v, out: UnsafeMutablePointer<Float>
    var ldq, ldk, ldv, ldo: Int
}

/// softmax(q·kᵀ·scale)·v for `heads` heads, as tiles over (head, query-row block)
/// handed out to `Threads.count` threads as they come free. Returns false (and does
/// nothing) when this machine's GEMM cannot run on one thread at a time; the caller
/// then runs `attendHead` per head. Call from outside any parallel loop. Callers take
/// this path only when `threadTilesEnabled`.
func attendHeadsTiled(heads: Int, n: Int, m: Int, d: Int, dv: Int, scale: Float, workspace: Workspace?,
                      tileBudget: Int = attentionTileBudget,
                      operands: @Sendable (Int) -> HeadOperands) -> Bool {
    guard GEMM.runsOnCallingThread, n > 0, m > 0, dv > 0 else { return false }
    let rowsPerTile = min(n, max(attentionMinimumTileRows, tileBudget / m))
    let blocks = (n + rowsPerTile - 1) / rowsPerTile
    let jobs = heads * blocks
    let workers = min(max(1, Threads.count), jobs)
    let tiles = (0..<workers).map { _ in scratch(rowsPerTile * m, workspace) }
    defer { tiles.forEach { releaseScratch($0, workspace) } }
    let tilePointers = tiles.map { SendablePointer($0.base) }
    let next = JobCounter()
    parallelFor(workers, threads: workers) { worker in
        let s = tilePointers[worker].base
        while let job = next.take(below: jobs) {
            let head = job / blocks, row0 = (job % blocks) * rowsPerTile
            let rows = min(rowsPerTile, n - row0)
            let o = operands(head)
            GEMM.sgemmOnCallingThread(transB: true, m: rows, n: m, k: d, alpha: scale, a: o.q + row0 * o.ldq, lda: o.ldq,
                                      b: o.k, ldb: o.ldk, c: s, ldc: m)
            softmaxRows(SendablePointer(s), SendablePointer(s), rows: rows, columns: m, stride: m, serial: true)
            GEMM.sgemmOnCallingThread(m: rows, n: dv, k: m, a: s, lda: m, b: o.v, ldb: o.ldv, c: o.out + row0 * o.ldo, ldc: o.ldo)
        }
    }
    return true
}
