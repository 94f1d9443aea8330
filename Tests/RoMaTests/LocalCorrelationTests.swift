import NN
import Parallel
import Testing
@testable import RoMa

/// `localCorrelation` (each B pixel's dot product computed once per window) against the
/// definition in double: for every tap, grid_sample's four bilinear corners of B (zero
/// outside), each dot product with A's feature, / √C.
struct LocalCorrelationTests {
    func reference(_ a: [Float], _ b: [Float], _ warp: [Float], c: Int, h: Int, w: Int, bh: Int, bw: Int, r: Int)
        -> (value: [Double], scale: [Double]) {
        let side = 2 * r + 1, n = h * w
        let dy = linspace(Float(-2 * Double(r) / Double(h)), Float(2 * Double(r) / Double(h)), side)
        let dx = linspace(Float(-2 * Double(r) / Double(w)), Float(2 * Double(r) / Double(w)), side)
        var value = [Double](repeating: 0, count: side * side * n), scale = value
        for p in 0..<n {
            for i in 0..<side {
                for j in 0..<side {
                    let x = Double(warp[p] + dx[j]), y = Double(warp[n + p] + dy[i])
                    let ix = ((x + 1) * Double(bw) - 1) / 2, iy = ((y + 1) * Double(bh) - 1) / 2
                    let x0 = Int(ix.rounded(.down)), y0 = Int(iy.rounded(.down))
                    let tx = ix - Double(x0), ty = iy - Double(y0)
                    var v = 0.0, m = 0.0, corners = 0.0
                    for (xx, yy, wt) in [(x0, y0, (1 - tx) * (1 - ty)), (x0 + 1, y0, tx * (1 - ty)),
                                         (x0, y0 + 1, (1 - tx) * ty), (x0 + 1, y0 + 1, tx * ty)]
                    where xx >= 0 && xx < bw && yy >= 0 && yy < bh {
                        var d = 0.0, dm = 0.0
                        for k in 0..<c {
                            let prod = Double(a[k * n + p]) * Double(b[k * bh * bw + yy * bw + xx])
                            d += prod
                            dm += abs(prod)
                        }
                        v += wt * d
                        m += wt * dm
                        corners += dm
                    }
                    value[(i * side + j) * n + p] = v / Double(c).squareRoot()
                    // Tap positions are rounded in float32 (x + 1, then ·W): ≤ 4 ulp(2.4)·W px, so each
                    // bilinear weight is off by up to 1e-6·max(W, H), times every corner's |dot|.
                    let position = 1e-6 * Double(max(bw, bh)) * corners / 1e-5
                    scale[(i * side + j) * n + p] = (m + position) / Double(c).squareRoot()
                }
            }
        }
        return (value, scale)
    }

    /// Square maps (every tap's corners inside the cached window) and B of another size
    /// (taps more than a pixel apart: corners outside the window are computed directly),
    /// with warps reaching past B's border. Float32 error: a C-term dot product, a 4-term
    /// bilinear sum and the 1/√C scaling, each ≤ (C + 8)·2⁻²⁴ of the sum of |terms|: 1e-5 of
    /// Σ|terms|, plus the tap position's float32 rounding (weights, see `reference`).
    @Test(arguments: [(9, 9, 9, 9, 2), (7, 10, 13, 6, 3), (12, 12, 12, 12, 7)])
    func matchesDefinition(h: Int, w: Int, bh: Int, bw: Int, r: Int) throws {
        var rng = SplitMix64(seed: UInt64(h * 31 + bw * 7 + r))
        let c = 20, n = h * w
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.unit() * 2 - 1) } }
        let a = values(c * n), b = values(c * bh * bw)
        let warp = (0..<(2 * n)).map { _ in Float(rng.unit() * 2.4 - 1.2) }
        let got = try localCorrelation(Tensor(a, shape: [1, c, h, w]), Tensor(b, shape: [1, c, bh, bw]),
                                       warp: Tensor(warp, shape: [1, 2, h, w]), radius: r).array
        let expected = reference(a, b, warp, c: c, h: h, w: w, bh: bh, bw: bw, r: r)
        var worst = 0.0
        for i in got.indices {
            worst = max(worst, abs(Double(got[i]) - expected.value[i]) / max(expected.scale[i], 1e-3))
        }
        #expect(worst < 1e-5, "\(h)×\(w) against \(bh)×\(bw), radius \(r): worst error \(worst) of Σ|terms|")
    }
}

/// The C kernel (AVX-512, sixteen dot products at a time) against the Swift loop it
/// replaces: the same products summed in the same order, so equal bit for bit. Shapes
/// with ragged 64-pixel blocks, channel counts off the 16-lane width (the tail loop),
/// B of another size (corners outside the cached window) and warps past B's border.
struct LocalCorrelationKernelTests {
    @Test(arguments: [(9, 9, 9, 9, 2, 37), (11, 13, 13, 6, 3, 64), (12, 12, 12, 12, 7, 16), (10, 10, 17, 23, 2, 5)])
    func kernelEqualsSwiftLoop(h: Int, w: Int, bh: Int, bw: Int, r: Int, c: Int) throws {
        var rng = SplitMix64(seed: UInt64(h * 131 + bw * 17 + r * 3 + c))
        let n = h * w
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.unit() * 2 - 1) } }
        let a = Tensor(values(c * n), shape: [1, c, h, w]), b = Tensor(values(c * bh * bw), shape: [1, c, bh, bw])
        var flow = (0..<(2 * n)).map { _ in Float(rng.unit() * 2.4 - 1.2) }
        flow[0] = -1; flow[n] = 1; flow[1] = 0; flow[n + 1] = 0   // taps on pixel centres and edges: zero weights
        let warp = Tensor(flow, shape: [1, 2, h, w])
        let loop = try localCorrelation(a, b, warp: warp, radius: r, vectorKernel: false).array
        let kernel = try localCorrelation(a, b, warp: warp, radius: r).array
        #expect(loop.count == kernel.count)
        let differing = zip(loop, kernel).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(h)×\(w) against \(bh)×\(bw), radius \(r), C \(c): \(differing) outputs differ")
    }
}
