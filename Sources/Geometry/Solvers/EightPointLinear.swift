/// Normalised eight-point algorithm (Hartley 1997) with optional per-pair weights:
/// the least-squares solution of the epipolar constraints on Hartley-conditioned
/// points, from the smallest eigenvector of AᵀWA (LAPACK dsyev). Used as the
/// non-minimal fit of local optimisation (weights from iterative reweighting) and
/// as the 8-point minimal solver.
public enum EightPointLinear {
    public static let sampleSize = 8

    /// Fundamental matrix (rank 2 enforced), unit Frobenius norm; nil if degenerate.
    public static func fundamental(_ data: Correspondences, _ sample: [Int], weights: [Double]? = nil) -> Mat3? {
        guard let m = linearFit(data, sample, weights: weights) else { return nil }
        guard let (u, s, vt) = Dense.svd3(m) else { return nil }
        let rank2 = u * Mat3(rows: SIMD3(s.x, 0, 0), SIMD3(0, s.y, 0), SIMD3(0, 0, 0)) * vt
        let f = rank2.normalized
        return f.isFinite ? f : nil
    }

    /// Essential matrix: the linear fit projected onto the essential manifold
    /// (singular values 1, 1, 0). Points must be on the normalised image plane.
    public static func essential(_ data: Correspondences, _ sample: [Int], weights: [Double]? = nil) -> Mat3? {
        guard let m = linearFit(data, sample, weights: weights) else { return nil }
        return projectToEssential(m)
    }

    /// The closest essential matrix (Frobenius) to m, unit norm.
    public static func projectToEssential(_ m: Mat3) -> Mat3? {
        guard let (u, _, vt) = Dense.svd3(m) else { return nil }
        let e = (u * Mat3(rows: SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 0)) * vt).normalized
        return e.isFinite ? e : nil
    }

    /// bᵀ M a = 0 in the least-squares sense on conditioned points, mapped back.
    static func linearFit(_ data: Correspondences, _ sample: [Int], weights: [Double]?) -> Mat3? {
        guard sample.count >= sampleSize else { return nil }
        guard let ta = conditioning(sample.map { data.xa[$0] }, sample.map { data.ya[$0] }),
              let tb = conditioning(sample.map { data.xb[$0] }, sample.map { data.yb[$0] }) else { return nil }
        var ata = [Double](repeating: 0, count: 81)
        for (k, i) in sample.enumerated() {
            let w = weights?[k] ?? 1
            guard w > 0 else { continue }
            let a = ta * data.a(i), b = tb * data.b(i)
            let row = epipolarRow(a, b)
            for r in 0..<9 {
                let wr = w * row[r]
                for c in r..<9 { ata[r * 9 + c] += wr * row[c] }
            }
        }
        for r in 0..<9 { for c in 0..<r { ata[r * 9 + c] = ata[c * 9 + r] } }
        guard let (_, vectors) = Dense.symmetricEigen(ata, n: 9) else { return nil }
        let smallest = (0..<9).map { vectors[$0 * 9] }   // column 0: smallest eigenvalue
        let m = tb.transposed * Mat3(smallest) * ta
        return m.isFinite ? m : nil
    }

    /// Similarity moving the centroid to the origin and the mean distance to √2;
    /// nil when all points coincide.
    static func conditioning(_ x: [Double], _ y: [Double]) -> Mat3? {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var mean = 0.0
        for k in 0..<x.count { mean += ((x[k] - mx) * (x[k] - mx) + (y[k] - my) * (y[k] - my)).squareRoot() }
        mean /= n
        guard mean > 0, mean.isFinite else { return nil }
        let s = 2.0.squareRoot() / mean
        return Mat3(rows: SIMD3(s, 0, -s * mx), SIMD3(0, s, -s * my), SIMD3(0, 0, 1))
    }
}
