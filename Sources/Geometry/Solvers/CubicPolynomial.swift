/// Polynomials of degree ≤ 3 in three unknowns (x, y, z), the algebra in which the
/// five-point solver writes its ten constraints. Coefficients follow a fixed
/// monomial order: the ten cubics first (the ones Gauss–Jordan elimination
/// removes), then the ten monomials of degree ≤ 2 that form the quotient-ring
/// basis of the action matrix.
struct CubicPolynomial {
    var c: [Double]

    static let monomialCount = 20

    /// Exponents (x, y, z) of each coefficient slot.
    static let exponents: [(Int, Int, Int)] = [
        (3, 0, 0), (2, 1, 0), (2, 0, 1), (1, 2, 0), (1, 1, 1), (1, 0, 2), (0, 3, 0), (0, 2, 1), (0, 1, 2), (0, 0, 3),
        (2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 2, 0), (0, 1, 1), (0, 0, 2), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 0, 0),
    ]

    /// Slot of x^a y^b z^c, indexed a*16 + b*4 + c.
    static let slot: [Int] = {
        var table = [Int](repeating: -1, count: 64)
        for (k, e) in exponents.enumerated() { table[e.0 * 16 + e.1 * 4 + e.2] = k }
        return table
    }()

    /// Slot of x, y, z and 1.
    static let linearSlots = [16, 17, 18, 19]

    init() { c = [Double](repeating: 0, count: Self.monomialCount) }

    /// a·x + b·y + c·z + d.
    init(linear a: Double, _ b: Double, _ cc: Double, _ d: Double) {
        self.init()
        c[16] = a; c[17] = b; c[18] = cc; c[19] = d
    }

    static func + (p: CubicPolynomial, q: CubicPolynomial) -> CubicPolynomial {
        var r = p
        for k in 0..<monomialCount { r.c[k] += q.c[k] }
        return r
    }

    static func - (p: CubicPolynomial, q: CubicPolynomial) -> CubicPolynomial {
        var r = p
        for k in 0..<monomialCount { r.c[k] -= q.c[k] }
        return r
    }

    static func * (p: CubicPolynomial, s: Double) -> CubicPolynomial {
        var r = p
        for k in 0..<monomialCount { r.c[k] *= s }
        return r
    }

    /// Product; the caller guarantees the degrees sum to at most 3.
    static func * (p: CubicPolynomial, q: CubicPolynomial) -> CubicPolynomial {
        var r = CubicPolynomial()
        for i in 0..<monomialCount where p.c[i] != 0 {
            let ei = exponents[i]
            for j in 0..<monomialCount where q.c[j] != 0 {
                let ej = exponents[j]
                let (a, b, cc) = (ei.0 + ej.0, ei.1 + ej.1, ei.2 + ej.2)
                precondition(a + b + cc <= 3, "CubicPolynomial product exceeds degree 3")
                r.c[slot[a * 16 + b * 4 + cc]] += p.c[i] * q.c[j]
            }
        }
        return r
    }
}
