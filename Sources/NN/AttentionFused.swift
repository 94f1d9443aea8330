import CKernels
import Foundation
import Parallel

// fp32 attention through the fused AVX-512 kernel (CKernels/attention512.c): each
// head's k and v packed once, then jobs of a few query rows, taken by whichever
// thread comes free, each computing its scores, softmax and product with v on that
// thread with the scores in its L2 cache. No q·kᵀ matrix goes through memory and
// no step waits for all threads. Machines without AVX-512F (or ROMA_KERNELS capped
// below it) and the bf16 path keep the GEMM path (`attendHead`, AttentionTiles).

/// `ROMA_ATTENTION=unfused` runs fp32 attention through the GEMM path instead, to
/// compare both on one machine (roma-bench ops / match, A/B runs).
let fusedAttentionEnabled = ProcessInfo.processInfo.environment["ROMA_ATTENTION"] != "unfused"

/// Floats of packed k and v held at once (32 MB); heads are packed in groups below it.
let fusedAttentionPackBudget = 1 << 23

/// Query rows per job: two of the kernel's 14-row tiles, so a job is long enough
/// (about 50 µs at ViT-L's 1601 keys) for the job counter to cost nothing, and short
/// enough to share the last head evenly between threads.
let fusedAttentionJobRows = 28

/// softmax(q·kᵀ·scale)·v for `heads` heads (operands per head as AttentionTiles
/// takes them) on the fused kernel. Returns false, having done nothing, when this
/// machine or configuration has no fused kernel; the caller then runs the GEMM path.
/// Call from outside any parallel loop.
func attendHeadsFused(heads: Int, n: Int, m: Int, d: Int, dv: Int, scale: Float, workspace: Workspace?,
                      operands: @Sendable (Int) -> HeadOperands) -> Bool {
    guard fusedAttentionEnabled, roma_kernels_level() >= 2, heads > 0, n > 0, m > 0, d > 0, dv > 0 else { return false }
    let perHead = roma_attention_packed_floats(m, d, dv)
    let group = max(1, min(heads, fusedAttentionPackBudget / perHead))
    let packed = scratch(group * perHead, workspace)
    defer { releaseScratch(packed, workspace) }
    let base = SendablePointer(packed.base)
    let blocks = (n + fusedAttentionJobRows - 1) / fusedAttentionJobRows
    let failed = FailedJobs()
    for first in stride(from: 0, to: heads, by: group) {
        let count = min(group, heads - first)
        parallelFor(count) { i in
            let o = operands(first + i)
            _ = roma_attention_pack(o.k, o.ldk, o.v, o.ldv, m, d, dv, base.base + i * perHead)
        }
        let jobs = count * blocks
        let next = JobCounter()
        let workers = min(max(1, Threads.count), jobs)
        parallelFor(workers, threads: workers) { _ in
            while let job = next.take(below: jobs) {
                let i = job / blocks, row0 = (job % blocks) * fusedAttentionJobRows
                let o = operands(first + i)
                if roma_attention_rows(o.q + row0 * o.ldq, o.ldq, min(fusedAttentionJobRows, n - row0), base.base + i * perHead,
                                       m, d, dv, scale, o.out + row0 * o.ldo, o.ldo) != 0 {
                    failed.append(first + i, row0)
                }
            }
        }
    }
    // A thread that could not get its 240 KB score block: those rows on the GEMM path.
    for (head, row0) in failed.all {
        let o = operands(head)
        attendHead(q: o.q + row0 * o.ldq, ldq: o.ldq, k: o.k, ldk: o.ldk, v: o.v, ldv: o.ldv, out: o.out + row0 * o.ldo,
                   ldo: o.ldo, n: min(fusedAttentionJobRows, n - row0), m: m, d: d, dv: dv, scale: scale, workspace: workspace)
    }
    return true
}

/// (head, first row) of the jobs the kernel could not run.
private final class FailedJobs: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [(Int, Int)] = []
    func append(_ head: Int, _ row0: Int) { lock.lock(); jobs.append((head, row0)); lock.unlock() }
    var all: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return jobs }
}
