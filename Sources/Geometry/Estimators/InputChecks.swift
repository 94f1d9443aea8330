/// Checks that turn bad or degenerate input into a reason for a `failed:` status
/// before any solver runs (solvers on such input would return garbage or nothing).
enum InputChecks {
    /// Why `points` (interleaved x, y) cannot be used, or nil.
    static func problem(pointsA: [Double], pointsB: [Double], minimum: Int, model: String) -> String? {
        let n = pointsA.count / 2
        if n < minimum {
            return "only \(n) match\(n == 1 ? "" : "es"); the \(model) needs at least \(minimum)"
        }
        if let i = (0..<n).first(where: { k in
            !(pointsA[2 * k].isFinite && pointsA[2 * k + 1].isFinite && pointsB[2 * k].isFinite && pointsB[2 * k + 1].isFinite)
        }) {
            return "match \(i) has a non-finite (NaN or infinite) coordinate"
        }
        for (side, points) in [("A", pointsA), ("B", pointsB)] {
            if let spread = spreadProblem(points) { return "degenerate input: the points in image \(side) \(spread)" }
        }
        return nil
    }

    /// "all coincide" / "are collinear" from the 2×2 scatter matrix's eigenvalues.
    static func spreadProblem(_ p: [Double]) -> String? {
        let n = Double(p.count / 2)
        var mx = 0.0, my = 0.0
        for k in 0..<p.count / 2 { mx += p[2 * k]; my += p[2 * k + 1] }
        mx /= n; my /= n
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for k in 0..<p.count / 2 {
            let dx = p[2 * k] - mx, dy = p[2 * k + 1] - my
            sxx += dx * dx; sxy += dx * dy; syy += dy * dy
        }
        let scale = max(abs(mx), abs(my), 1)
        let half = (sxx + syy) / 2
        let root = (((sxx - syy) / 2) * ((sxx - syy) / 2) + sxy * sxy).squareRoot()
        let large = half + root, small = max(0, half - root)
        // Relative to the coordinates' magnitude: below ~1e-9 of it is rounding noise.
        if large / n <= 1e-18 * scale * scale { return "all coincide" }
        if small <= 1e-12 * large { return "are collinear" }
        return nil
    }
}
