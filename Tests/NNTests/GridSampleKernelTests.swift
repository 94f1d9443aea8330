import Parallel
import Testing
@testable import NN

/// `gridSample`'s AVX-512 path against the arithmetic of its Swift loop, bit for bit:
/// per point x = ((gx + 1)·W − 1)/2 (likewise y), floor, the four weights
/// (1−dx)(1−dy), dx(1−dy), (1−dx)dy, dx·dy, zero outside the map, then
/// ((p0·w0 + p1·w1) + p2·w2) + p3·w3 with p read at index 0 for outside taps.
struct GridSampleKernelTests {
    @Test(arguments: [(2, 3, 7, 9, 5, 11), (1, 9, 16, 16, 16, 17), (1, 1, 4, 5, 1, 3)])
    func equalsSwiftLoop(n: Int, c: Int, h: Int, w: Int, ho: Int, wo: Int) throws {
        var rng = SplitMix64(seed: UInt64(c * 100 + h * 10 + wo))
        let x = (0..<(n * c * h * w)).map { _ in Float(rng.gaussian()) }
        var grid = (0..<(n * ho * wo * 2)).map { _ in Float(rng.unit() * 2.6 - 1.3) }
        grid[0] = -1; grid[1] = 1; grid[2] = .nan; grid[4] = 0; grid[5] = 0   // edges, NaN, pixel boundary
        let got = try gridSample(Tensor(x, shape: [n, c, h, w]), grid: Tensor(grid, shape: [n, ho, wo, 2])).array
        let points = ho * wo, fw = Float(w), fh = Float(h)
        var expected = [Float](repeating: 0, count: n * c * points)
        for b in 0..<n {
            for p in 0..<points {
                let gx = grid[(b * points + p) * 2], gy = grid[(b * points + p) * 2 + 1]
                let ix = ((gx + 1) * fw - 1) / 2, iy = ((gy + 1) * fh - 1) / 2
                let x0 = ix.rounded(.down), y0 = iy.rounded(.down), dx = ix - x0, dy = iy - y0
                let weights = [(1 - dx) * (1 - dy), dx * (1 - dy), (1 - dx) * dy, dx * dy]
                let xs = [x0, x0 + 1, x0, x0 + 1], ys = [y0, y0, y0 + 1, y0 + 1]
                var index = [Int](repeating: 0, count: 4), weight = [Float](repeating: 0, count: 4)
                for t in 0..<4 where xs[t] >= 0 && xs[t] < fw && ys[t] >= 0 && ys[t] < fh {
                    index[t] = Int(ys[t]) * w + Int(xs[t])
                    weight[t] = weights[t]
                }
                for ch in 0..<c {
                    let plane = (b * c + ch) * h * w
                    expected[(b * c + ch) * points + p] = x[plane + index[0]] * weight[0] + x[plane + index[1]] * weight[1]
                        + x[plane + index[2]] * weight[2] + x[plane + index[3]] * weight[3]
                }
            }
        }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
