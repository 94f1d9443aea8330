/// Five-point relative pose (Stewénius, Engels, Nistér 2006, "Recent developments
/// on direct relative orientation"; hidden-variable form of Nistér 2004): E lies
/// in the 4-dimensional null space of the five epipolar constraints,
/// E = x·X + y·Y + z·Z + W; the cubic constraints det E = 0 and
/// 2 E Eᵀ E − tr(E Eᵀ) E = 0 give ten cubics in (x, y, z). Eliminating ten
/// monomials leaves, for z hidden, three equations B(z)·(x, y, 1)ᵀ = 0 whose
/// determinant is a degree-10 polynomial in z; its real roots (Sturm sequence)
/// give z, and the null vector of B(z) gives x and y.
///
/// Input: points on the normalised image plane. Output: up to ten essential
/// matrices with unit Frobenius norm (only the real solutions).
public enum FivePointEssential {
    public static let sampleSize = 5

    /// Columns (in `EssentialConstraints`' monomial order) eliminated by
    /// Gauss–Jordan: x³, x²y, x²z, xy², xyz, y³, y²z, x², xy, y².
    static let eliminated = [0, 1, 2, 3, 4, 6, 7, 10, 11, 13]
    /// The rest: xz², yz², z³, xz, yz, z², x, y, z, 1.
    static let remaining = [5, 8, 9, 12, 14, 15, 16, 17, 18, 19]

    public static func solve(_ data: Correspondences, _ sample: [Int]) -> [Mat3] {
        guard sample.count >= sampleSize else { return [] }
        var rows: [Double] = []
        rows.reserveCapacity(sample.count * 9)
        for i in sample { rows += epipolarRow(data.a(i), data.b(i)) }
        // Exactly five pairs: QR gives the null space; more (a non-minimal use):
        // the four smallest right singular vectors, a least-squares null space.
        let nullSpace = sample.count == sampleSize ? SmallDense.nullSpace(rows, rows: 5, cols: 9)
            : Dense.nullSpace(rows, rows: sample.count, cols: 9, count: 4)
        guard let basis = nullSpace else { return [] }
        let (bx, by, bz, bw) = (basis[0], basis[1], basis[2], basis[3])

        // E as a 3×3 matrix of linear polynomials in (x, y, z), and its ten cubics.
        let e = (0..<9).map { k in SIMD4(bx[k], by[k], bz[k], bw[k]) }
        let coefficients = EssentialConstraints.matrix(e)
        guard let (b, determinant) = hiddenVariableSystem(coefficients) else { return [] }

        var solutions: [Mat3] = []
        let roots = SturmRoots.realRoots(determinant)
        // Clustered roots or a root that Gauss–Newton had to move are where the
        // expanded polynomial lost digits (near-degenerate small baselines and
        // near-planar scenes, ~1 % of samples): there the action-matrix eigenproblem,
        // slower but better conditioned, decides.
        var suspicious = zip(roots, roots.dropFirst()).contains { $1 - $0 < 0.02 * max(1, abs($0)) }
        for z in roots where !suspicious {
            let r = b.map { row in SIMD3(SturmRoots.evaluate(row[0], z), SturmRoots.evaluate(row[1], z), SturmRoots.evaluate(row[2], z)) }
            // (x, y, 1) ∝ the null vector of B(z): the largest cross product of two rows.
            let candidates = [cross(r[0], r[1]), cross(r[0], r[2]), cross(r[1], r[2])]
            let v = candidates.max { dot($0, $0) < dot($1, $1) }!
            guard abs(v.z) > 1e-12 * length(v) else { continue }
            // The expanded degree-10 polynomial loses digits (~1e-5 relative in
            // 1 % of random samples): Gauss–Newton on the ten cubics restores them.
            let (x, y, zz) = polish(coefficients, v.x / v.z, v.y / v.z, z)
            if abs(zz - z) > 1e-7 * max(1, abs(z)) { suspicious = true }
            var m = [Double](repeating: 0, count: 9)
            for k in 0..<9 { m[k] = x * bx[k] + y * by[k] + zz * bz[k] + bw[k] }
            let candidate = Mat3(m).normalized
            if candidate.isFinite { solutions.append(candidate) }
        }
        if suspicious { return solveByEigen(basis, coefficients) }
        return solutions
    }

    /// The action-matrix route (Stewénius et al.): Gauss–Jordan elimination of
    /// the ten cubic monomials, then the real eigenvectors of the 10×10 matrix of
    /// multiplication by x (LAPACK dgeev).
    static func solveByEigen(_ basis: [[Double]], _ coefficients: [Double]) -> [Mat3] {
        let (bx, by, bz, bw) = (basis[0], basis[1], basis[2], basis[3])

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

    /// B(z) (three rows of three polynomials in z, multiplying x, y and 1) and
    /// det B(z), for E = x·X + y·Y + z·Z + W; nil when the elimination fails.
    static func hiddenVariableSystem(_ coefficients: [Double]) -> ([[[Double]]], [Double])? {
        // [A1 | A2] · (eliminated; remaining monomials) = 0 → C = A1⁻¹ A2: row i
        // reads eliminated[i] + Σⱼ C[i][j] · remaining[j] = 0.
        var a1 = [Double](repeating: 0, count: 100)
        var c = [Double](repeating: 0, count: 100)
        for r in 0..<10 {
            for k in 0..<10 {
                a1[r * 10 + k] = coefficients[r * 20 + eliminated[k]]
                c[r * 10 + k] = coefficients[r * 20 + remaining[k]]
            }
        }
        guard SmallDense.solve(&a1, n: 10, &c, nrhs: 10) else { return nil }

        // Row i as polynomials in z (ascending) multiplying x, y and 1.
        func px(_ i: Int) -> [Double] { [c[i * 10 + 6], c[i * 10 + 3], c[i * 10 + 0]] }
        func py(_ i: Int) -> [Double] { [c[i * 10 + 7], c[i * 10 + 4], c[i * 10 + 1]] }
        func p1(_ i: Int) -> [Double] { [c[i * 10 + 9], c[i * 10 + 8], c[i * 10 + 5], c[i * 10 + 2]] }
        // row(m·z) − z·row(m) cancels the eliminated monomial m·z, for m = x², y², xy
        // (rows 2 − z·7, 6 − z·9, 4 − z·8).
        func hidden(_ upper: Int, _ lower: Int) -> [[Double]] {
            [subtractShifted(px(upper), px(lower)), subtractShifted(py(upper), py(lower)), subtractShifted(p1(upper), p1(lower))]
        }
        let b = [hidden(2, 7), hidden(6, 9), hidden(4, 8)]

        // det B(z) by cofactors of the first row: degree 3 + 3 + 4 = 10.
        let m0 = subtract(multiply(b[1][1], b[2][2]), multiply(b[1][2], b[2][1]))
        let m1 = subtract(multiply(b[1][0], b[2][2]), multiply(b[1][2], b[2][0]))
        let m2 = subtract(multiply(b[1][0], b[2][1]), multiply(b[1][1], b[2][0]))
        let determinant = add(subtract(multiply(b[0][0], m0), multiply(b[0][1], m1)), multiply(b[0][2], m2))
        return (b, determinant)
    }

    /// Up to two Gauss–Newton steps on the ten cubic constraints (rows of the
    /// 10×20 `coefficients`) at (x, y, z); each kept only if the residual shrinks.
    static func polish(_ coefficients: [Double], _ x0: Double, _ y0: Double, _ z0: Double) -> (Double, Double, Double) {
        coefficients.withUnsafeBufferPointer { c in
            let rows = UnsafeRawPointer(c.baseAddress!)
            // Row i as 16 + 4 lanes, against the monomials split the same way.
            func row(_ i: Int) -> (SIMD16<Double>, SIMD4<Double>) {
                (rows.loadUnaligned(fromByteOffset: i * 160, as: SIMD16<Double>.self),
                 rows.loadUnaligned(fromByteOffset: i * 160 + 128, as: SIMD4<Double>.self))
            }
            func residualNorm2(_ p: SIMD3<Double>) -> Double {
                let (m, n) = monomials(p)
                var norm2 = 0.0
                for i in 0..<10 {
                    let (a, b) = row(i)
                    let r = (a * m).sum() + (b * n).sum()
                    norm2 += r * r
                }
                return norm2
            }
            var p = SIMD3(x0, y0, z0)
            var norm2 = residualNorm2(p)
            for _ in 0..<2 where norm2 > 0 {
                let (m, n) = monomials(p)
                let (gx, gy, gz) = monomialGradients(p)
                var h = Mat3(rows: .zero, .zero, .zero)
                var jtr = SIMD3<Double>()
                for i in 0..<10 {
                    let (a, b) = row(i)
                    let r = (a * m).sum() + (b * n).sum()
                    let j = SIMD3((a * gx.0).sum() + (b * gx.1).sum(), (a * gy.0).sum() + (b * gy.1).sum(),
                                  (a * gz.0).sum() + (b * gz.1).sum())
                    jtr += j * r
                    h.r0 += j * j.x
                    h.r1 += j * j.y
                    h.r2 += j * j.z
                }
                let det = h.determinant
                guard det.isFinite, abs(det) > 0 else { break }
                // Cramer's rule on the 3×3 normal equations (adjugate · Jᵀr / det).
                let step = -(cross(h.r1, h.r2) * jtr.x + cross(h.r2, h.r0) * jtr.y + cross(h.r0, h.r1) * jtr.z) / det
                let candidate = p + step
                let next = residualNorm2(candidate)
                guard next < norm2 else { break }
                (p, norm2) = (candidate, next)
                if dot(step, step) <= 1e-28 * max(1, dot(p, p)) { break }
            }
            return (p.x, p.y, p.z)
        }
    }

    /// The twenty monomials in `EssentialConstraints`' order at (x, y, z), as 16 + 4 lanes.
    @inline(__always) static func monomials(_ p: SIMD3<Double>) -> (SIMD16<Double>, SIMD4<Double>) {
        let (x, y, z) = (p.x, p.y, p.z)
        return (SIMD16(x * x * x, x * x * y, x * x * z, x * y * y, x * y * z, x * z * z, y * y * y, y * y * z, y * z * z, z * z * z,
                       x * x, x * y, x * z, y * y, y * z, z * z), SIMD4(x, y, z, 1))
    }

    /// Their partial derivatives in x, y and z.
    @inline(__always)
    static func monomialGradients(_ p: SIMD3<Double>) -> ((SIMD16<Double>, SIMD4<Double>), (SIMD16<Double>, SIMD4<Double>), (SIMD16<Double>, SIMD4<Double>)) {
        let (x, y, z) = (p.x, p.y, p.z)
        let dx = (SIMD16(3 * x * x, 2 * x * y, 2 * x * z, y * y, y * z, z * z, 0, 0, 0, 0, 2 * x, y, z, 0, 0, 0), SIMD4<Double>(1, 0, 0, 0))
        let dy = (SIMD16(0, x * x, 0, 2 * x * y, x * z, 0, 3 * y * y, 2 * y * z, z * z, 0, 0, x, 0, 2 * y, z, 0), SIMD4<Double>(0, 1, 0, 0))
        let dz = (SIMD16(0, 0, x * x, 0, x * y, 2 * x * z, 0, y * y, 2 * y * z, 3 * z * z, 0, 0, x, 0, y, 2 * z), SIMD4<Double>(0, 0, 1, 0))
        return (dx, dy, dz)
    }

    /// p(z) − z·q(z) for coefficient arrays of equal length n: length n + 1.
    static func subtractShifted(_ p: [Double], _ q: [Double]) -> [Double] {
        var r = p + [0]
        for k in 0..<q.count { r[k + 1] -= q[k] }
        return r
    }

    static func multiply(_ p: [Double], _ q: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: p.count + q.count - 1)
        for i in 0..<p.count { for j in 0..<q.count { r[i + j] += p[i] * q[j] } }
        return r
    }

    static func add(_ p: [Double], _ q: [Double]) -> [Double] {
        (0..<max(p.count, q.count)).map { ($0 < p.count ? p[$0] : 0) + ($0 < q.count ? q[$0] : 0) }
    }

    static func subtract(_ p: [Double], _ q: [Double]) -> [Double] { add(p, q.map { -$0 }) }
}
