import CKernels
import Parallel

/// F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).
/// x [N, C, H, W], grid [N, Ho, Wo, 2] holding (x, y) in [−1, 1] → [N, C, Ho, Wo].
/// Taps outside the image contribute zero.
public func gridSample(_ x: Tensor, grid: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank == 4, "gridSample", "input must be [N, C, H, W], got \(x.shape)")
    try check(grid.rank == 4 && grid.shape[0] == x.shape[0] && grid.shape[3] == 2, "gridSample",
              "grid must be [\(x.shape[0]), Ho, Wo, 2], got \(grid.shape)")
    let (n, c) = (x.shape[0], x.shape[1])
    let (ho, wo) = (grid.shape[1], grid.shape[2])
    let out = try makeOutput("gridSample", [n, c, ho, wo], into: into, workspace: workspace)
    try check(!out.overlaps(x) && !out.overlaps(grid), "gridSample", "output must not overlap the input or grid")
    let points = ho * wo
    if points == 0 || c == 0 { return out }
    // Four taps per output point, computed once and shared by every channel.
    // A tap outside the image gets weight 0 and a harmless in-range index. Indices and
    // weights share one pooled scratch buffer (indices in its first half, as Int32).
    let taps = scratch(8 * points, workspace)
    defer { releaseScratch(taps, workspace) }
    let tapWeight = taps.base + 4 * points
    taps.base.withMemoryRebound(to: Int32.self, capacity: 4 * points) { tapIndex in
        sample(x, grid, out, tapIndex: tapIndex, tapWeight: tapWeight)
    }
    return out
}

private func sample(_ x: Tensor, _ grid: Tensor, _ out: Tensor,
                    tapIndex: UnsafeMutablePointer<Int32>, tapWeight: UnsafeMutablePointer<Float>) {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let points = grid.shape[1] * grid.shape[2]
    let ti = SendablePointer(tapIndex), tw = SendablePointer(tapWeight)
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer), g = SendablePointer(grid.pointer)
    let fw = Float(w), fh = Float(h)
    if c <= 128, roma_kernels_level() >= 2 {
        // The same taps (AVX-512) and sums in C (CKernels/correlation.c), taps stored planar.
        // Single-thread CPU time at RoMa's refiner shapes: 9 channels at 864² 23.5 → 11.3 ms,
        // 64 at 432² 17.4 → 15.0 ms; 256 at 216² 12.8 → 14.0 ms, so wide maps keep the loop below.
        for b in 0..<n {
            parallelChunks(points, grain: 4096) { begin, end in
                _ = roma_grid_sample_taps(g.base + 2 * b * points, points, h, w, begin, end, ti.base, tw.base)
            }
            parallelChunks(c, grain: max(1, elementwiseGrain / max(1, points))) { begin, end in
                _ = roma_grid_sample_planes(src.base + b * c * h * w, h * w, points, ti.base, tw.base, begin, end,
                                            dst.base + b * c * points)
            }
        }
        return
    }
    for b in 0..<n {
        parallelChunks(points, grain: 4096) { begin, end in
            for p in begin..<end {
                let gx = g[(b * points + p) * 2], gy = g[(b * points + p) * 2 + 1]
                // Unnormalise with align_corners=False: −1 and 1 are the outer pixel edges.
                let ix = ((gx + 1) * fw - 1) / 2, iy = ((gy + 1) * fh - 1) / 2
                let x0f = ix.rounded(.down), y0f = iy.rounded(.down)
                let dx = ix - x0f, dy = iy - y0f
                let weights = SIMD4<Float>((1 - dx) * (1 - dy), dx * (1 - dy), (1 - dx) * dy, dx * dy)
                let xs = SIMD4<Float>(x0f, x0f + 1, x0f, x0f + 1), ys = SIMD4<Float>(y0f, y0f, y0f + 1, y0f + 1)
                for t in 0..<4 {
                    let inside = xs[t] >= 0 && xs[t] < fw && ys[t] >= 0 && ys[t] < fh   // false for NaN too
                    ti[4 * p + t] = inside ? Int32(Int(ys[t]) * w + Int(xs[t])) : 0
                    tw[4 * p + t] = inside ? weights[t] : 0
                }
            }
        }
        parallelChunks(c, grain: max(1, elementwiseGrain / max(1, points))) { begin, end in
            for ch in begin..<end {
                let plane = src.base + (b * c + ch) * h * w
                let o = dst.base + (b * c + ch) * points
                for p in 0..<points {
                    let i = ti.base + 4 * p, wt = tw.base + 4 * p
                    o[p] = plane[Int(i[0])] * wt[0] + plane[Int(i[1])] * wt[1] + plane[Int(i[2])] * wt[2] + plane[Int(i[3])] * wt[3]
                }
            }
        }
    }
}
