import Artifacts

/// The reference's view of a symmetric warp as one list of 4-D matches: its
/// `match` builds an H × 2W × 4 tensor whose left half holds, for each cell of A's
/// grid, (the cell's own normalised A coordinate, warp_ab), and whose right half
/// holds, for each cell of B's grid, (warp_ba, the cell's own B coordinate).
/// `sample` flattens it row-major, so cell k lies in row k / 2W, column k mod 2W.
/// Keeping that numbering makes our indices and the reference's the same.
struct MatchSpace {
    let warp: Warp

    init(_ warp: Warp) { self.warp = warp }

    var cellCount: Int { 2 * warp.width * warp.height }

    /// The centre of cell `i` of an n-cell axis in normalised coordinates:
    /// torch.linspace(−1 + 1/n, 1 − 1/n, n)[i].
    @inline(__always)
    static func centre(_ i: Int, of n: Int) -> Float { Float(2 * i + 1) / Float(n) - 1 }

    /// Certainty of every cell in the reference's order.
    func certainties() -> [Float] {
        let w = warp.width
        var out = [Float](repeating: 0, count: cellCount)
        for row in 0..<warp.height {
            for col in 0..<w {
                out[row * 2 * w + col] = warp.certaintyAB[row * w + col]
                out[row * 2 * w + w + col] = warp.certaintyBA[row * w + col]
            }
        }
        return out
    }

    /// The 4-D match (x_A, y_A, x_B, y_B) of cell `k`, normalised.
    func match(_ k: Int) -> SIMD4<Float> {
        let w = warp.width
        let row = k / (2 * w), col = k % (2 * w)
        let v = Self.centre(row, of: warp.height)
        if col < w {
            let i = (row * w + col) * 2
            return SIMD4(Self.centre(col, of: w), v, warp.warpAB[i], warp.warpAB[i + 1])
        } else {
            let i = (row * w + col - w) * 2
            return SIMD4(warp.warpBA[i], warp.warpBA[i + 1], Self.centre(col - w, of: w), v)
        }
    }
}

/// The normalised 4-D matches (x_A, y_A, x_B, y_B) of `cells` (reference numbering,
/// as `sampleCells` returns), n × 4 row-major: the kernel density's input.
public func normalizedMatches(of warp: Warp, cells: [Int]) -> [Float] {
    let space = MatchSpace(warp)
    var points = [Float](repeating: 0, count: cells.count * 4)
    for (i, k) in cells.enumerated() {
        precondition(k >= 0 && k < space.cellCount, "cell \(k) outside the warp")
        let m = space.match(k)
        for d in 0..<4 { points[i * 4 + d] = m[d] }
    }
    return points
}
