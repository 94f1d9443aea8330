/// Seven-point fundamental matrix (Hartley & Zisserman §11.1.2): the two-dimensional
/// null space F = α F₁ + (1 − α) F₂ of seven epipolar constraints, with α a real root
/// of the cubic det F = 0. Up to three solutions, each with unit Frobenius norm.
///
public enum SevenPointFundamental {
    public static let sampleSize = 7

    public static func solve(_ data: Correspondences, _ sample: [Int]) -> [Mat3] {
        guard sample.count >= sampleSize else { return [] }
        // Hartley conditioning of the sample keeps the null space well defined in pixels.
        guard let ta = EightPointLinear.conditioning(sample.map { data.xa[$0] }, sample.map { data.ya[$0] }),
              let tb = EightPointLinear.conditioning(sample.map { data.xb[$0] }, sample.map { data.yb[$0] }) else { return [] }
        var rows: [Double] = []
        for i in sample { rows += epipolarRow(ta * data.a(i), tb * data.b(i)) }
        guard let basis = Dense.nullSpace(rows, rows: sample.count, cols: 9, count: 2) else { return [] }
        let f1 = Mat3(basis[0]), f2 = Mat3(basis[1])
        let diff = f1 - f2
        // det(F₂ + α(F₁ − F₂)) is a cubic in α; recover its coefficients from four samples.
        func d(_ alpha: Double) -> Double { (f2 + diff * alpha).determinant }
        let d0 = d(0), d1 = d(1), dm1 = d(-1), d2 = d(2)
        let c0 = d0
        let c2 = (d1 + dm1) / 2 - d0
        let odd = (d1 - dm1) / 2                 // c1 + c3
        let c3 = (d2 - d0 - 4 * c2 - 2 * odd) / 6
        let c1 = odd - c3
        let roots = realCubicRoots(c3, c2, c1, c0)
        return roots.compactMap { alpha in
            let f = (tb.transposed * (f2 + diff * alpha) * ta).normalized
            return f.isFinite ? f : nil
        }
    }

    /// Real roots of c3 α³ + c2 α² + c1 α + c0 from the eigenvalues of the companion
    /// matrix (LAPACK dgeev); degrades to the quadratic or linear case.
    static func realCubicRoots(_ c3: Double, _ c2: Double, _ c1: Double, _ c0: Double) -> [Double] {
        let scale = max(abs(c3), abs(c2), abs(c1), abs(c0))
        guard scale > 0 else { return [] }
        if abs(c3) > 1e-12 * scale {
            let companion = [-c2 / c3, -c1 / c3, -c0 / c3, 1, 0, 0, 0, 1, 0]
            return Dense.realEigen(companion, n: 3, imaginaryTolerance: 1e-10)?.map(\.value) ?? []
        }
        if abs(c2) > 1e-12 * scale {
            let disc = c1 * c1 - 4 * c2 * c0
            guard disc >= 0 else { return [] }
            let s = disc.squareRoot()
            return [(-c1 + s) / (2 * c2), (-c1 - s) / (2 * c2)]
        }
        return abs(c1) > 0 ? [-c0 / c1] : []
    }
}
