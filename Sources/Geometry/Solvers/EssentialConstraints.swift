/// The ten cubic constraints of the five-point problem, expanded explicitly.
///
/// E = x·X + y·Y + z·Z + W has entries that are linear polynomials
/// l = (a, b, c, d) ↔ a·x + b·y + c·z + d. Products are written out term by term
/// (no generic polynomial type) because this runs once per RANSAC iteration.
///
/// Monomial order of a constraint row (20 columns): the ten cubics
/// x³, x²y, x²z, xy², xyz, xz², y³, y²z, yz², z³, then the quotient-ring basis
/// x², xy, xz, y², yz, z², x, y, z, 1. A quadratic is stored in that basis order
/// (the last ten columns).
enum EssentialConstraints {
    typealias Linear = SIMD4<Double>
    typealias Quadratic = SIMD16<Double>   // slots 0…9 used

    @inline(__always) static func product(_ p: Linear, _ q: Linear) -> Quadratic {
        var r = Quadratic()
        r[0] = p[0] * q[0]
        r[1] = p[0] * q[1] + p[1] * q[0]
        r[2] = p[0] * q[2] + p[2] * q[0]
        r[3] = p[1] * q[1]
        r[4] = p[1] * q[2] + p[2] * q[1]
        r[5] = p[2] * q[2]
        r[6] = p[0] * q[3] + p[3] * q[0]
        r[7] = p[1] * q[3] + p[3] * q[1]
        r[8] = p[2] * q[3] + p[3] * q[2]
        r[9] = p[3] * q[3]
        return r
    }

    /// row += s · (q · l), q quadratic, l linear.
    @inline(__always) static func accumulate(_ q: Quadratic, _ l: Linear, _ s: Double, into row: UnsafeMutablePointer<Double>) {
        let a = l[0] * s, b = l[1] * s, c = l[2] * s, d = l[3] * s
        row[0] += q[0] * a
        row[1] += q[0] * b + q[1] * a
        row[2] += q[0] * c + q[2] * a
        row[3] += q[1] * b + q[3] * a
        row[4] += q[1] * c + q[2] * b + q[4] * a
        row[5] += q[2] * c + q[5] * a
        row[6] += q[3] * b
        row[7] += q[3] * c + q[4] * b
        row[8] += q[4] * c + q[5] * b
        row[9] += q[5] * c
        row[10] += q[0] * d + q[6] * a
        row[11] += q[1] * d + q[6] * b + q[7] * a
        row[12] += q[2] * d + q[6] * c + q[8] * a
        row[13] += q[3] * d + q[7] * b
        row[14] += q[4] * d + q[7] * c + q[8] * b
        row[15] += q[5] * d + q[8] * c
        row[16] += q[6] * d + q[9] * a
        row[17] += q[7] * d + q[9] * b
        row[18] += q[8] * d + q[9] * c
        row[19] += q[9] * d
    }

    /// The 10 × 20 row-major coefficient matrix: det E = 0 first, then the nine
    /// entries of 2 E Eᵀ E − tr(E Eᵀ) E = 0. `e[3i + j]` is entry (i, j) of E.
    static func matrix(_ e: [Linear]) -> [Double] {
        var m = [Double](repeating: 0, count: 200)
        m.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            // det E by cofactors of the first row.
            let c0 = product(e[4], e[8]) - product(e[5], e[7])
            let c1 = product(e[3], e[8]) - product(e[5], e[6])
            let c2 = product(e[3], e[7]) - product(e[4], e[6])
            accumulate(c0, e[0], 1, into: base)
            accumulate(c1, e[1], -1, into: base)
            accumulate(c2, e[2], 1, into: base)

            var eet = [Quadratic](repeating: Quadratic(), count: 9)
            for i in 0..<3 {
                for j in i..<3 {
                    let q = product(e[3 * i], e[3 * j]) + product(e[3 * i + 1], e[3 * j + 1]) + product(e[3 * i + 2], e[3 * j + 2])
                    eet[3 * i + j] = q
                    eet[3 * j + i] = q
                }
            }
            let trace = eet[0] + eet[4] + eet[8]
            for i in 0..<3 {
                for j in 0..<3 {
                    let row = base + 20 * (1 + 3 * i + j)
                    for k in 0..<3 { accumulate(eet[3 * i + k], e[3 * k + j], 2, into: row) }
                    accumulate(trace, e[3 * i + j], -1, into: row)
                }
            }
        }
        return m
    }
}
