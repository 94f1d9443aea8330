import CKernels
import NN
import Parallel

/// Local correlation of the refiners: for each pixel of A, the scaled dot
/// products between its feature and B's features bilinearly sampled on a
/// (2r+1)² window of one-pixel steps centred on the current warp (the
/// reference's `local_correlation`, `corr_in_other=True`, zero padding).
/// Output channel k = i·(2r+1) + j holds offset (x_j, y_i).
///
/// Kept in RoMa rather than built from NN's `gridSample` and a reduction: sampling
/// B at all (2r+1)² offsets first would materialise C·(2r+1)²·h·w floats (225× the
/// feature map at radius 7), where this loop needs only the output.
/// a, b `[1, C, h, w]`, warp `[1, 2, h, w]` → `[1, (2r+1)², h, w]`, written into `into` when given.
/// `vectorKernel: false` runs the Swift loop even where the C kernel could (tests compare the two).
func localCorrelation(_ a: Tensor, _ b: Tensor, warp: Tensor, radius r: Int, into: Tensor? = nil,
                      vectorKernel: Bool = true) throws -> Tensor {
    guard a.channels == b.channels, warp.channels == 2, warp.height == a.height, warp.width == a.width else {
        throw RoMaError("local correlation: features \(a.shape) and \(b.shape) with warp \(warp.shape) do not fit together")
    }
    let (h, w, c) = (a.height, a.width, a.channels), n = h * w
    let side = 2 * r + 1, k = side * side
    let dy = linspace(Float(-2 * Double(r) / Double(h)), Float(2 * Double(r) / Double(h)), side)
    let dx = linspace(Float(-2 * Double(r) / Double(w)), Float(2 * Double(r) / Double(w)), side)
    let inv = Float(Double(c).squareRoot())
    if let into, into.count != k * n { throw RoMaError("local correlation: output \(into.shape) cannot hold [1, \(k), \(h), \(w)]") }
    let out = into.map { Tensor(storage: $0.storage, offset: $0.offset, shape: [1, k, h, w]) } ?? Tensor(uninitialized: [1, k, h, w])
    FlopCounter.add(8 * Double(n * k * c))
    // Pixel-major B so that every dot product reads two contiguous vectors.
    let bt = try tokens(b)
    if vectorKernel, try correlationKernel(a, bt, warp: warp, dx: dx, dy: dy, bh: b.height, bw: b.width, side: side, inv: inv, out: out) {
        return out
    }
    let at = try tokens(a)
    _ = try mapElements(at, into: at) { $0 / inv }
    let (bh, bw) = (b.height, b.width)
    let dst = SendablePointer(out.pointer), A = SendablePointer(at.pointer), B = SendablePointer(bt.pointer)
    let W = SendablePointer(warp.pointer)
    // The window's taps are one pixel apart, so neighbouring taps share bilinear corners:
    // (2r+1)² taps read only about (2r+2)² distinct pixels of B, not 4·(2r+1)². Each
    // pixel's dot products are kept in a small table over its window (a slot per B pixel,
    // stamped with the pixel it belongs to) and computed once; the same dot products are
    // combined in the same order, so the output is bit for bit that of the direct loop.
    let slots = side + 3
    let blockSize = 64, blocks = (n + blockSize - 1) / blockSize
    parallelFor(blocks) { block in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: slots * slots) { cache in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: slots * slots) { stamp in
            stamp.initialize(repeating: -1)
            for p in (block * blockSize)..<min(n, (block + 1) * blockSize) {
                let fa = A.base + p * c
                let (cx, cy) = (W[p], W[n + p])
                // Window origin one pixel before the first tap's corner (rounding may move a tap's floor by one).
                let x0 = Int((((cx + dx[0] + 1) * Float(bw) - 1) / 2).rounded(.down)) - 1
                let y0 = Int((((cy + dy[0] + 1) * Float(bh) - 1) / 2).rounded(.down)) - 1
                @inline(__always) func dot(_ idx: Int) -> Float {
                    let sx = idx % bw - x0, sy = idx / bw - y0
                    guard sx >= 0, sx < slots, sy >= 0, sy < slots else { return dotProduct(fa, B.base + idx * c, c) }
                    let slot = sy * slots + sx
                    if stamp[slot] != p {
                        cache[slot] = dotProduct(fa, B.base + idx * c, c)
                        stamp[slot] = p
                    }
                    return cache[slot]
                }
                for i in 0..<side {
                    for j in 0..<side {
                        let s = BilinearPoint(x: cx + dx[j], y: cy + dy[i], height: bh, width: bw)
                        var v: Float = 0
                        if s.weight.0 != 0 { v += s.weight.0 * dot(s.index.0) }
                        if s.weight.1 != 0 { v += s.weight.1 * dot(s.index.1) }
                        if s.weight.2 != 0 { v += s.weight.2 * dot(s.index.2) }
                        if s.weight.3 != 0 { v += s.weight.3 * dot(s.index.3) }
                        dst[(i * side + j) * n + p] = v
                    }
                }
            }
        }
        }
    }
    return out
}

/// The loop above in C (`roma_local_correlation`, AVX-512: sixteen dot products at a
/// time, each summed in the same order, so the output is bit for bit the loop's), on
/// blocks of A's pixels on all threads. False when this machine has no such path (or
/// a block ran out of memory): the Swift loop then computes everything.
private func correlationKernel(_ a: Tensor, _ bt: Tensor, warp: Tensor, dx: [Float], dy: [Float], bh: Int, bw: Int,
                               side: Int, inv: Float, out: Tensor) throws -> Bool {
    guard roma_kernels_level() >= 2 else { return false }
    let (n, c) = (a.height * a.width, a.channels)
    let A = SendablePointer(a.pointer), B = SendablePointer(bt.pointer), W = SendablePointer(warp.pointer)
    let dst = SendablePointer(out.pointer)
    let offsets = Tensor(dx + dy, shape: [2 * side])
    let D = SendablePointer(offsets.pointer)
    let blockSize = 64, blocks = (n + blockSize - 1) / blockSize
    let failures = Tensor(zeros: [blocks])
    let F = SendablePointer(failures.pointer)
    parallelFor(blocks) { block in
        let first = block * blockSize, end = min(n, first + blockSize)
        if roma_local_correlation(A.base, B.base, W.base, D.base, D.base + side, n, c, bh, bw, Int32(side), inv,
                                  first, end, dst.base) != 0 { F[block] = 1 }
    }
    return failures.array.allSatisfy { $0 == 0 }
}

/// The four bilinear taps of one point of `grid_sample` (`align_corners=False`,
/// zero padding) on a pixel-major `h·w × c` map: row indices and weights, taps
/// outside the map given weight 0. Per point, because each output pixel samples
/// its own window (NN's `gridSample` works on whole planes).
struct BilinearPoint {
    var index: (Int, Int, Int, Int)
    var weight: (Float, Float, Float, Float)

    init(x: Float, y: Float, height: Int, width: Int) {
        let ix = ((x + 1) * Float(width) - 1) / 2
        let iy = ((y + 1) * Float(height) - 1) / 2
        let fx = ix.rounded(.down), fy = iy.rounded(.down)
        let x0 = Int(fx), y0 = Int(fy)
        let tx = ix - fx, ty = iy - fy
        func at(_ xx: Int, _ yy: Int, _ w: Float) -> (Int, Float) {
            (xx >= 0 && xx < width && yy >= 0 && yy < height) ? (yy * width + xx, w) : (0, 0)
        }
        let a = at(x0, y0, (1 - tx) * (1 - ty)), b = at(x0 + 1, y0, tx * (1 - ty))
        let c = at(x0, y0 + 1, (1 - tx) * ty), d = at(x0 + 1, y0 + 1, tx * ty)
        index = (a.0, b.0, c.0, d.0)
        weight = (a.1, b.1, c.1, d.1)
    }
}

/// Dot product of two contiguous vectors with 16 partial sums (a plain loop is a
/// strict left-to-right reduction the compiler may not vectorise).
@inline(__always)
private func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    while i + 16 <= n {
        acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
    }
    var s: Float = 0
    for lane in 0..<16 { s += acc[lane] }
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}
