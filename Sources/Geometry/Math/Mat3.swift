import Foundation

/// A 3×3 matrix stored as three row vectors: the fixed-size algebra of two-view
/// geometry (products, transposes, cross-product matrices) stays in plain Swift,
/// while decompositions go through LAPACKE (see Dense.swift).
public struct Mat3: Sendable, Equatable {
    public var r0: SIMD3<Double>
    public var r1: SIMD3<Double>
    public var r2: SIMD3<Double>

    public init(rows r0: SIMD3<Double>, _ r1: SIMD3<Double>, _ r2: SIMD3<Double>) {
        self.r0 = r0
        self.r1 = r1
        self.r2 = r2
    }

    /// From 9 values in row-major order.
    public init(_ v: [Double]) {
        precondition(v.count == 9, "Mat3 needs 9 values, got \(v.count)")
        r0 = SIMD3(v[0], v[1], v[2])
        r1 = SIMD3(v[3], v[4], v[5])
        r2 = SIMD3(v[6], v[7], v[8])
    }

    public static let identity = Mat3(rows: SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))
    public static let zero = Mat3(rows: .zero, .zero, .zero)

    /// Row-major values.
    public var values: [Double] { [r0.x, r0.y, r0.z, r1.x, r1.y, r1.z, r2.x, r2.y, r2.z] }

    public subscript(i: Int, j: Int) -> Double {
        get { i == 0 ? r0[j] : (i == 1 ? r1[j] : r2[j]) }
        set {
            switch i {
            case 0: r0[j] = newValue
            case 1: r1[j] = newValue
            default: r2[j] = newValue
            }
        }
    }

    public var transposed: Mat3 {
        Mat3(rows: SIMD3(r0.x, r1.x, r2.x), SIMD3(r0.y, r1.y, r2.y), SIMD3(r0.z, r1.z, r2.z))
    }

    public var determinant: Double { dot(r0, cross(r1, r2)) }
    public var trace: Double { r0.x + r1.y + r2.z }
    public var frobeniusNorm: Double { (dot(r0, r0) + dot(r1, r1) + dot(r2, r2)).squareRoot() }
    public var isFinite: Bool { values.allSatisfy(\.isFinite) }

    /// The matrix scaled to unit Frobenius norm (unchanged if zero).
    public var normalized: Mat3 {
        let n = frobeniusNorm
        return n > 0 ? self * (1 / n) : self
    }

    public func column(_ j: Int) -> SIMD3<Double> { SIMD3(r0[j], r1[j], r2[j]) }

    /// [v]×, so that [v]× w = v × w.
    public static func skew(_ v: SIMD3<Double>) -> Mat3 {
        Mat3(rows: SIMD3(0, -v.z, v.y), SIMD3(v.z, 0, -v.x), SIMD3(-v.y, v.x, 0))
    }

    public static func * (a: Mat3, v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(dot(a.r0, v), dot(a.r1, v), dot(a.r2, v))
    }

    public static func * (a: Mat3, b: Mat3) -> Mat3 {
        Mat3(rows: a.r0.x * b.r0 + a.r0.y * b.r1 + a.r0.z * b.r2,
             a.r1.x * b.r0 + a.r1.y * b.r1 + a.r1.z * b.r2,
             a.r2.x * b.r0 + a.r2.y * b.r1 + a.r2.z * b.r2)
    }

    public static func * (a: Mat3, s: Double) -> Mat3 { Mat3(rows: a.r0 * s, a.r1 * s, a.r2 * s) }
    public static func + (a: Mat3, b: Mat3) -> Mat3 { Mat3(rows: a.r0 + b.r0, a.r1 + b.r1, a.r2 + b.r2) }
    public static func - (a: Mat3, b: Mat3) -> Mat3 { Mat3(rows: a.r0 - b.r0, a.r1 - b.r1, a.r2 - b.r2) }
    public static prefix func - (a: Mat3) -> Mat3 { a * -1 }

    /// Rotation by `angle` radians about the unit `axis` (Rodrigues' formula).
    public static func rotation(axis: SIMD3<Double>, angle: Double) -> Mat3 {
        let k = skew(axis)
        return identity + k * sin(angle) + (k * k) * (1 - cos(angle))
    }

    /// exp([w]×) for a rotation vector w; exact to second order near zero.
    public static func exp(_ w: SIMD3<Double>) -> Mat3 {
        let theta = length(w)
        if theta < 1e-12 { return identity + skew(w) }
        return rotation(axis: w / theta, angle: theta)
    }
}

@inline(__always) public func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
@inline(__always) public func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
@inline(__always) public func length(_ a: SIMD3<Double>) -> Double { dot(a, a).squareRoot() }
@inline(__always) public func normalize(_ a: SIMD3<Double>) -> SIMD3<Double> { a / length(a) }

/// Angle in degrees between two rotations: the angle of Ra^T Rb.
public func rotationAngleDegrees(_ a: Mat3, _ b: Mat3) -> Double {
    let c = ((a.transposed * b).trace - 1) / 2
    return acos(min(1, max(-1, c))) * 180 / .pi
}

/// Angle in degrees between two directions, ignoring sign (a translation
/// direction from E is known only up to sign), as the reference's pose error does.
/// A zero vector has no direction: 90°, the error benchmarks count for a failure
/// (`PoseMetrics.error` marks such an estimate failed before asking).
public func directionAngleDegrees(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
    let na = length(a), nb = length(b)
    guard na > 0, nb > 0 else { return 90 }
    let c = dot(a, b) / (na * nb)
    let angle = acos(min(1, max(-1, c))) * 180 / .pi
    return min(angle, 180 - angle)
}
