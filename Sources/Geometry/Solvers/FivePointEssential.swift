/// Five-point relative pose (Stewénius, Engels, Nistér 2006, "Recent developments
/// on direct relative orientation"): E lies in the 4-dimensional null space of the
/// five epipolar constraints (QR, dgeqrf), E = x·X + y·Y + z·Z + W; the cubic constraints
/// det E = 0 and 2 E Eᵀ E − tr(E Eᵀ) E = 0 give ten cubics in (x, y, z); after
/// Gauss–Jordan elimination of the ten cubic monomials, the solutions are the
/// eigenvectors of the 10×10 action matrix of multiplication by x.
///
/// Input: points on the normalised image plane. Output: up to ten essential
/// matrices with unit Frobenius norm (only the real solutions).
public enum FivePointEssential {
    public static let sampleSize = 5

    public static func solve(_ data: Correspondences, _ sample: [Int]) -> [Mat3] {
        guard sample.count >= sampleSize else { return [] }
        var rows: [Double] = []
        rows.reserveCapacity(sample.count * 9)
        for i in sample { rows += epipolarRow(data.a(i), data.b(i)) }
        // Exactly five pairs: QR gives the null space; more (a non-minimal use):
        // the four smallest right singular vectors, a least-squares null space.
        let nullSpace = sample.count == sampleSize ? Dense.nullSpaceQR(rows, rows: 5, cols: 9)
            : Dense.nullSpace(rows, rows: sample.count, cols: 9, count: 4)
        guard let basis = nullSpace else { return [] }
        let (bx, by, bz, bw) = (basis[0], basis[1], basis[2], basis[3])

        // E as a 3×3 matrix of linear polynomials in (x, y, z), and its ten cubics.
        let e = (0..<9).map { k in SIMD4(bx[k], by[k], bz[k], bw[k]) }
        let coefficients = EssentialConstraints.matrix(e)

        // [A1 | A2] with A1 the cubic monomials; B = A1⁻¹ A2 expresses each cubic
        // monomial in the degree ≤ 2 basis [x², xy, xz, y², yz, z², x, y, z, 1].
        var a1 = [Double](repeating: 0, count: 100)
        var a2 = [Double](repeating: 0, count: 100)
        for r in 0..<10 {
            for k in 0..<10 {
                a1[r * 10 + k] = coefficients[r * 20 + k]
                a2[r * 10 + k] = coefficients[r * 20 + 10 + k]
            }
        }
        guard let b = Dense.solve(a1, n: 10, a2, nrhs: 10) else { return [] }

        // Row k: x · basis[k] in terms of the basis. x·{x², xy, xz, y², yz, z²} are the
        // eliminated cubics x³, x²y, x²z, xy², xyz, xz² (rows 0…5 of B); x·{x, y, z, 1}
        // stay in the basis.
        var action = [Double](repeating: 0, count: 100)
        for k in 0..<6 {
            for j in 0..<10 { action[k * 10 + j] = -b[k * 10 + j] }
        }
        action[6 * 10 + 0] = 1
        action[7 * 10 + 1] = 1
        action[8 * 10 + 2] = 1
        action[9 * 10 + 6] = 1

        guard let eigen = Dense.realEigen(action, n: 10) else { return [] }
        var solutions: [Mat3] = []
        for (_, v) in eigen {
            guard abs(v[9]) > 1e-12 else { continue }
            let x = v[6] / v[9], y = v[7] / v[9], z = v[8] / v[9]
            var m = [Double](repeating: 0, count: 9)
            for k in 0..<9 { m[k] = x * bx[k] + y * by[k] + z * bz[k] + bw[k] }
            let candidate = Mat3(m).normalized
            if candidate.isFinite { solutions.append(candidate) }
        }
        return solutions
    }
}
