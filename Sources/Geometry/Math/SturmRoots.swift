/// Real roots of a univariate polynomial by a Sturm sequence: count the distinct
/// real roots in an interval from sign changes, bisect until each interval holds
/// one, then polish it by Newton steps safeguarded by bisection. This is what the
/// five-point solver needs per RANSAC iteration: the real roots of a degree-10
/// polynomial without a general eigenvalue solver (about 30× fewer instructions
/// than LAPACK's dgeev on the 10×10 action matrix).
enum SturmRoots {
    /// Polynomials are coefficient arrays in ascending powers: c[0] + c[1] x + ….
    static func evaluate(_ c: [Double], _ x: Double) -> Double {
        var v = 0.0
        for k in stride(from: c.count - 1, through: 0, by: -1) { v = v * x + c[k] }
        return v
    }

    /// The distinct real roots, ascending. Roots of even multiplicity that
    /// floating point does not resolve may be missed, which a RANSAC caller
    /// tolerates (the sample is simply less productive).
    static func realRoots(_ coefficients: [Double]) -> [Double] {
        var p = trimmed(coefficients, relative: 0)
        guard p.count >= 2 else { return [] }
        let lead = p[p.count - 1]
        p = p.map { $0 / lead }
        let degree = p.count - 1
        if degree == 1 { return [-p[0]] }

        // Cauchy's bound: every root lies in (−bound, bound).
        var bound = 0.0
        for k in 0..<degree { bound = max(bound, abs(p[k])) }
        bound += 1

        let chain = sturmChain(p)
        func variations(_ x: Double) -> Int {
            var count = 0
            var previous = 0.0
            for s in chain {
                let v = evaluate(s, x)
                if v != 0 {
                    if previous != 0, (v < 0) != (previous < 0) { count += 1 }
                    previous = v
                }
            }
            return count
        }

        var roots: [Double] = []
        // Depth-first bisection over (lo, hi] with its variation counts.
        var stack: [(lo: Double, hi: Double, vlo: Int, vhi: Int, depth: Int)] = [(-bound, bound, variations(-bound), variations(bound), 0)]
        while let (lo, hi, vlo, vhi, depth) = stack.popLast() {
            let count = vlo - vhi
            if count <= 0 { continue }
            if count == 1 {
                if let r = polish(p, lo, hi) { roots.append(r) }
                continue
            }
            let mid = 0.5 * (lo + hi)
            // Roots closer than the bisection can separate: report them as one.
            if depth >= 60 || hi - lo <= 1e-14 * max(1, abs(mid)) { roots.append(mid); continue }
            let vmid = variations(mid)
            stack.append((lo, mid, vlo, vmid, depth + 1))
            stack.append((mid, hi, vmid, vhi, depth + 1))
        }
        return roots.sorted()
    }

    /// p, p′, then −rem(p_{k−1}, p_k) until the remainder vanishes (relative to its
    /// dividend) or is a constant.
    static func sturmChain(_ p: [Double]) -> [[Double]] {
        var chain = [p, derivative(p)]
        while chain[chain.count - 1].count > 1 {
            let a = chain[chain.count - 2], b = chain[chain.count - 1]
            let scale = a.reduce(0) { max($0, abs($1)) }
            let r = trimmed(remainder(a, b).map { -$0 }, relative: 1e-13 * scale)
            if r.isEmpty { break }
            // Only the signs matter: keep magnitudes O(1).
            let norm = r.reduce(0) { max($0, abs($1)) }
            chain.append(r.map { $0 / norm })
        }
        return chain
    }

    static func derivative(_ p: [Double]) -> [Double] {
        (1..<p.count).map { Double($0) * p[$0] }
    }

    /// Remainder of a ÷ b (deg a ≥ deg b ≥ 1 in practice; b's leading term nonzero).
    static func remainder(_ a: [Double], _ b: [Double]) -> [Double] {
        var r = a
        let m = b.count - 1
        let lead = b[m]
        var top = r.count - 1
        while top >= m {
            let q = r[top] / lead
            for k in 0...m { r[top - m + k] -= q * b[k] }
            r[top] = 0
            top -= 1
        }
        return Array(r[0..<max(m, 0)])
    }

    /// Drops leading (highest-power) coefficients with |c| ≤ tolerance.
    static func trimmed(_ c: [Double], relative tolerance: Double) -> [Double] {
        var n = c.count
        while n > 0, abs(c[n - 1]) <= tolerance { n -= 1 }
        return Array(c[0..<n])
    }

    /// The root of p in (lo, hi] when p changes sign there: Newton steps while
    /// they stay inside the bracket and at least halve the step (far from a root a
    /// degree-10 Newton step shrinks the distance by only ~1/10), bisection
    /// otherwise.
    /// Stops at a relative step of `tolerance` (the five-point solver polishes its
    /// roots further on the original equations).
    static func polish(_ p: [Double], _ lo0: Double, _ hi0: Double, tolerance: Double = 1e-12) -> Double? {
        var lo = lo0, hi = hi0
        let flo = evaluate(p, lo), fhi = evaluate(p, hi)
        if fhi == 0 { return hi }
        if flo == 0 { return lo }
        guard (flo < 0) != (fhi < 0) else { return nil }
        // Orient so that p(lo) < 0 < p(hi).
        if flo > 0 { swap(&lo, &hi) }
        let dp = derivative(p)
        var x = 0.5 * (lo + hi)
        var step = abs(hi - lo), previousStep = step
        var f = evaluate(p, x), d = evaluate(dp, x)
        for _ in 0..<200 {
            let newton = x - f / d
            if !(min(lo, hi) < newton && newton < max(lo, hi)) || abs(2 * f) > abs(previousStep * d) {
                previousStep = step
                step = 0.5 * (hi - lo)
                x = lo + step
            } else {
                previousStep = step
                step = f / d
                x = newton
            }
            if abs(step) <= tolerance * max(1, abs(x)) { return x }
            f = evaluate(p, x)
            if f == 0 { return x }
            d = evaluate(dp, x)
            if f < 0 { lo = x } else { hi = x }
        }
        return x
    }
}
