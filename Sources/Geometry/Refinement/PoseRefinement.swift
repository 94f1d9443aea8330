import Foundation

/// Robust kernels on the squared Sampson distance s, at scale τ².
public enum RobustLoss: Sendable {
    /// min(s, τ²): exactly the MSAC cost, so refinement never trades inliers away.
    case truncated
    /// τ² log(1 + s/τ²): smooth, keeps pulling on pairs just outside τ.
    case cauchy

    @inline(__always) func cost(_ s: Double, _ t2: Double) -> Double {
        switch self {
        case .truncated: return min(s, t2)
        case .cauchy: return t2 * log1p(s / t2)
        }
    }

    /// IRLS weight ρ'(s).
    @inline(__always) func weight(_ s: Double, _ t2: Double) -> Double {
        switch self {
        case .truncated: return s <= t2 ? 1 : 0
        case .cauchy: return 1 / (1 + s / t2)
        }
    }
}

/// Levenberg–Marquardt on the 5-dof manifold of relative poses, minimising a
/// robust loss of the Sampson error of E = [t]× R. Rotation updates are
/// R ← R exp([ω]×) and translation updates move t on the unit sphere along two
/// tangent directions, so every iterate is a valid essential matrix.
public enum PoseRefinement {
    public static func refine(_ start: RelativePose, _ data: Correspondences, indices: [Int], thresholdSquared t2: Double,
                              loss: RobustLoss = .truncated, maxIterations: Int = 25) -> RelativePose {
        var pose = start
        var cost = totalCost(pose, data, indices, t2, loss)
        var lambda = 1e-4
        for _ in 0..<maxIterations {
            let (h, g) = normalEquations(pose, data, indices, t2, loss)
            var accepted = false
            while lambda < 1e10 {
                var damped = h
                for k in 0..<5 { damped[k * 5 + k] += lambda * max(h[k * 5 + k], 1e-12) }
                guard let step = Dense.solveSPD(damped, n: 5, g.map { -$0 }) else { lambda *= 10; continue }
                let candidate = update(pose, step)
                let candidateCost = totalCost(candidate, data, indices, t2, loss)
                if candidateCost < cost {
                    let gain = (cost - candidateCost) / max(cost, 1e-300)
                    pose = candidate
                    cost = candidateCost
                    lambda = max(lambda / 10, 1e-12)
                    accepted = true
                    if gain < 1e-10 { return pose }
                    break
                }
                lambda *= 10
            }
            if !accepted { break }
        }
        return pose
    }

    static func totalCost(_ pose: RelativePose, _ data: Correspondences, _ indices: [Int], _ t2: Double, _ loss: RobustLoss) -> Double {
        let e = pose.essential
        var c = 0.0
        for i in indices { c += loss.cost(sampsonSquared(e, data.xa[i], data.ya[i], data.xb[i], data.yb[i]), t2) }
        return c
    }

    /// Orthonormal basis of the plane perpendicular to the unit vector t.
    static func tangentBasis(_ t: SIMD3<Double>) -> (SIMD3<Double>, SIMD3<Double>) {
        let axis: SIMD3<Double> = abs(t.x) < 0.6 ? SIMD3(1, 0, 0) : (abs(t.y) < 0.6 ? SIMD3(0, 1, 0) : SIMD3(0, 0, 1))
        let b1 = cross(t, axis)
        let u1 = b1 / length(b1)
        return (u1, cross(t, u1))
    }

    static func update(_ pose: RelativePose, _ step: [Double]) -> RelativePose {
        let r = pose.rotation * Mat3.exp(SIMD3(step[0], step[1], step[2]))
        let (b1, b2) = tangentBasis(pose.translation)
        let t = pose.translation + step[3] * b1 + step[4] * b2
        return RelativePose(rotation: r, translation: t / length(t))
    }

    /// JᵀWJ (5×5) and JᵀWr for the signed Sampson residuals r = bᵀEa / √D, with
    /// W the IRLS weights of the loss. dr/dθ_k = ⟨∂r/∂E, ∂E/∂θ_k⟩.
    static func normalEquations(_ pose: RelativePose, _ data: Correspondences, _ indices: [Int], _ t2: Double,
                                _ loss: RobustLoss) -> ([Double], [Double]) {
        let e = pose.essential
        let tx = Mat3.skew(pose.translation)
        let (b1, b2) = tangentBasis(pose.translation)
        let basis: [SIMD3<Double>] = [SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1)]
        let de: [Mat3] = basis.map { tx * pose.rotation * Mat3.skew($0) }
            + [Mat3.skew(b1) * pose.rotation, Mat3.skew(b2) * pose.rotation]
        let dv = de.map(\.values)
        var h = [Double](repeating: 0, count: 25)
        var g = [Double](repeating: 0, count: 5)
        var grad = [Double](repeating: 0, count: 9)
        var jac = [Double](repeating: 0, count: 5)
        for i in indices {
            let a = SIMD3(data.xa[i], data.ya[i], 1.0), b = SIMD3(data.xb[i], data.yb[i], 1.0)
            let ea = e * a
            let etb = SIMD3(e.r0.x * b.x + e.r1.x * b.y + e.r2.x, e.r0.y * b.x + e.r1.y * b.y + e.r2.y, 0)
            let c = dot(b, ea)
            let d = ea.x * ea.x + ea.y * ea.y + etb.x * etb.x + etb.y * etb.y
            guard d > 0 else { continue }
            let sd = d.squareRoot()
            let r = c / sd
            let w = loss.weight(r * r, t2)
            guard w > 0 else { continue }
            let k = c / (d * sd)
            for p in 0..<3 {
                for q in 0..<3 {
                    var dD = 0.0
                    if p < 2 { dD += ea[p] * a[q] }
                    if q < 2 { dD += etb[q] * b[p] }
                    grad[p * 3 + q] = b[p] * a[q] / sd - k * dD
                }
            }
            for m in 0..<5 {
                var s = 0.0
                for q in 0..<9 { s += grad[q] * dv[m][q] }
                jac[m] = s
            }
            for m in 0..<5 {
                g[m] += w * jac[m] * r
                for l in m..<5 { h[m * 5 + l] += w * jac[m] * jac[l] }
            }
        }
        for m in 0..<5 { for l in 0..<m { h[m * 5 + l] = h[l * 5 + m] } }
        return (h, g)
    }
}
