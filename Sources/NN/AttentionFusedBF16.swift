import CKernels
import Parallel

/// Which torch attention a `.bf16` attention follows; ignored at `.fp32`.
///
/// The two round at different places (docs/runtime.md, "Precision"), and at bf16 a single
/// rounding flipped by an ulp is what separates two runs, so each model takes the form its
/// reference writes.
public enum BF16Attention: String, Sendable, Codable, CaseIterable {
    /// `(q·scale)@kᵀ`, softmax, `@v` as three autocast ops (DINOv2 in RoMa v1): the scores
    /// and the normalised probabilities are bf16 tensors.
    case explicit
    /// `F.scaled_dot_product_attention` on CPU (RoMa v2's DINOv3 and matcher): aten's fused
    /// flash-attention kernel, in blocks of 512 keys. Scores stay fp32 (bf16 operands, fp32
    /// accumulation), exp(s − running max) is rounded to bf16 unnormalised before the P·v
    /// product, the fp32 accumulator is rescaled as the maximum grows, and the output is
    /// the accumulator times the reciprocal of the fp32 sum, rounded once.
    case fused
}

/// Keys per block of torch's CPU flash-attention kernel (`kv_split_size`): the running
/// maximum, and so each exp(s − max) that gets rounded, changes at these boundaries.
let fusedAttentionKeyBlock = 512

/// One head as torch's CPU flash-attention kernel computes it at bf16 (`BF16Attention.fused`):
/// out = softmax(q·kᵀ·scale)·v with q [n, d], k [m, d], v [m, dv], out [n, dv] given by
/// pointers and leading dimensions. Query rows are independent in torch's kernel, so they
/// run all at once here; only the key blocking matters to the result (except that MKL sums a
/// query block of 1–3 rows, torch's last when the length is 1–3 past a multiple of its 256,
/// 64 or 32, in an order not reproduced here; no RoMa v2 setting has one).
func attendHeadFusedBF16(q: UnsafeMutablePointer<Float>, ldq: Int, k: UnsafeMutablePointer<Float>, ldk: Int,
                         v: UnsafeMutablePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                         n: Int, m: Int, d: Int, dv: Int, scale: Float, workspace: Workspace?) {
    if n == 0 || dv == 0 { return }
    if m == 0 {
        for r in 0..<n { (out + r * ldo).update(repeating: .nan, count: dv) }   // softmax over nothing, as torch
        return
    }
    let block = min(m, fusedAttentionKeyBlock)
    // torch's two products run through MKL's bf16 GEMM, summed in its order (roma_flash_bf16_product):
    // operands rounded to bf16 here, k transposed per block so the product's columns are keys.
    let scores = scratch(n * block, workspace), acc = scratch(n * dv, workspace), rows = scratch(2 * n, workspace)
    let qr = scratch(n * d, workspace), kt = scratch(d * block, workspace), vr = scratch(block * dv, workspace)
    defer { [scores, acc, rows, qr, kt, vr].forEach { releaseScratch($0, workspace) } }
    let (rowMax, rowSum) = (rows.base, rows.base + n)
    rowMax.update(repeating: -.infinity, count: n)
    rowSum.update(repeating: 0, count: n)
    BF16.roundRows(q, ld: ldq, rows: n, columns: d, into: qr.base, ldOut: d)
    let (ps, pa, pm, psum) = (SendablePointer(scores.base), SendablePointer(acc.base), SendablePointer(rowMax), SendablePointer(rowSum))
    let (pq, pk, pv) = (SendablePointer(qr.base), SendablePointer(kt.base), SendablePointer(vr.base))
    let threads = n * block < BF16.parallelElements ? 1 : Threads.count
    var key0 = 0
    while key0 < m {
        let keys = min(block, m - key0), first = key0 == 0
        for key in 0..<keys {
            let row = k + (key0 + key) * ldk
            for j in 0..<d { kt.base[j * keys + key] = BF16.round(row[j]) }
        }
        BF16.roundRows(v + key0 * ldv, ld: ldv, rows: keys, columns: dv, into: vr.base, ldOut: dv)
        parallelFor(threads, threads: threads) { t in
            let lo = n * t / threads, hi = n * (t + 1) / threads
            if lo >= hi { return }
            // torch multiplies by the scale after the product (in the softmax step)
            roma_flash_bf16_product(pq.base + lo * d, d, pk.base, keys, ps.base + lo * keys, keys, hi - lo, keys, d, 0)
            roma_flash_bf16_step(ps.base + lo * keys, hi - lo, keys, keys, scale, pm.base + lo, psum.base + lo,
                                 pa.base + lo * dv, dv, dv, first ? 1 : 0)
            roma_flash_bf16_product(ps.base + lo * keys, keys, pv.base, dv, pa.base + lo * dv, dv, hi - lo, dv, keys, first ? 0 : 1)
        }
        key0 += keys
    }
    let po = SendablePointer(out)
    parallelFor(threads, threads: threads) { t in
        let lo = n * t / threads, hi = n * (t + 1) / threads
        roma_flash_bf16_finish(pa.base + lo * dv, hi - lo, dv, dv, psum.base + lo, po.base + lo * ldo, ldo)
    }
}
