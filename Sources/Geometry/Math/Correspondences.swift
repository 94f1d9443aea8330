/// Point pairs in structure-of-arrays form, so the scoring loops read four
/// contiguous streams. For the essential matrix they lie on the normalised image
/// plane (K⁻¹ applied); for the fundamental matrix they are pixels.
public struct Correspondences: Sendable {
    public var xa: [Double]
    public var ya: [Double]
    public var xb: [Double]
    public var yb: [Double]

    public var count: Int { xa.count }

    public init(xa: [Double], ya: [Double], xb: [Double], yb: [Double]) {
        precondition(xa.count == ya.count && xa.count == xb.count && xa.count == yb.count, "Correspondences: unequal lengths")
        self.xa = xa
        self.ya = ya
        self.xb = xb
        self.yb = yb
    }

    /// From interleaved (x, y) arrays, optionally mapping each side through intrinsics.
    public init(pointsA: [Double], pointsB: [Double], intrinsicsA: CameraIntrinsics? = nil, intrinsicsB: CameraIntrinsics? = nil) {
        precondition(pointsA.count == pointsB.count && pointsA.count % 2 == 0, "Correspondences: bad point arrays")
        let n = pointsA.count / 2
        xa = [Double](repeating: 0, count: n); ya = xa; xb = xa; yb = xa
        for i in 0..<n {
            let (u, v) = intrinsicsA?.normalize(x: pointsA[2 * i], y: pointsA[2 * i + 1]) ?? (pointsA[2 * i], pointsA[2 * i + 1])
            let (p, q) = intrinsicsB?.normalize(x: pointsB[2 * i], y: pointsB[2 * i + 1]) ?? (pointsB[2 * i], pointsB[2 * i + 1])
            xa[i] = u; ya[i] = v; xb[i] = p; yb[i] = q
        }
    }

    @inline(__always) public func a(_ i: Int) -> SIMD3<Double> { SIMD3(xa[i], ya[i], 1) }
    @inline(__always) public func b(_ i: Int) -> SIMD3<Double> { SIMD3(xb[i], yb[i], 1) }

    /// The pairs at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Correspondences {
        Correspondences(xa: indices.map { xa[$0] }, ya: indices.map { ya[$0] }, xb: indices.map { xb[$0] }, yb: indices.map { yb[$0] })
    }
}

/// Row i of the epipolar constraint bᵀ M a = 0 as a linear form in the 9
/// row-major entries of M.
@inline(__always) func epipolarRow(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> [Double] {
    [b.x * a.x, b.x * a.y, b.x, b.y * a.x, b.y * a.y, b.y, a.x, a.y, 1]
}

/// Squared Sampson distance of one pair to the epipolar geometry M (bᵀ M a = 0):
/// the first-order approximation of the squared geometric error, in the units of
/// the points (normalised plane for E, pixels for F). It is OpenCV's
/// findEssentialMat error, so thresholds mean the same thing in both solvers.
@inline(__always) func sampsonSquared(_ m: Mat3, _ xa: Double, _ ya: Double, _ xb: Double, _ yb: Double) -> Double {
    let (r, d) = sampsonTerms(m, xa, ya, xb, yb)
    return d > 0 ? r * r / d : (r == 0 ? 0 : .infinity)
}

/// The epipolar residual r = bᵀ M a and the Sampson denominator d (the squared norm of
/// r's gradient in the four coordinates): the Sampson distance is r² / d.
@inline(__always) func sampsonTerms(_ m: Mat3, _ xa: Double, _ ya: Double, _ xb: Double, _ yb: Double) -> (residual: Double, denominator: Double) {
    let ma0 = m.r0.x * xa + m.r0.y * ya + m.r0.z
    let ma1 = m.r1.x * xa + m.r1.y * ya + m.r1.z
    let ma2 = m.r2.x * xa + m.r2.y * ya + m.r2.z
    let mb0 = m.r0.x * xb + m.r1.x * yb + m.r2.x
    let mb1 = m.r0.y * xb + m.r1.y * yb + m.r2.y
    return (xb * ma0 + yb * ma1 + ma2, ma0 * ma0 + ma1 * ma1 + mb0 * mb0 + mb1 * mb1)
}
