import Artifacts
import Foundation

/// Pinhole intrinsics K = [[fx, skew, cx], [0, fy, cy], [0, 0, 1]] in pixels.
public struct CameraIntrinsics: Codable, Sendable, Equatable {
    public var fx: Double
    public var fy: Double
    public var cx: Double
    public var cy: Double
    public var skew: Double

    public init(fx: Double, fy: Double, cx: Double, cy: Double, skew: Double = 0) {
        self.fx = fx
        self.fy = fy
        self.cx = cx
        self.cy = cy
        self.skew = skew
    }

    /// Parses `fx,fy,cx,cy` or the 9 values of K in row-major order; nil with a
    /// reason in `problem` otherwise (for the CLI's error message).
    public static func parse(_ text: String) -> Result<CameraIntrinsics, IntrinsicsError> {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { DecimalNumber.parse($0) }
        guard values.count == parts.count else {
            return .failure(IntrinsicsError("'\(text)' is not a comma-separated list of numbers"))
        }
        let k: CameraIntrinsics
        switch values.count {
        case 4:
            k = CameraIntrinsics(fx: values[0], fy: values[1], cx: values[2], cy: values[3])
        case 9:
            guard values[3] == 0, values[6] == 0, values[7] == 0, values[8] != 0 else {
                return .failure(IntrinsicsError("'\(text)' is not an upper-triangular K with K[2,2] ≠ 0"))
            }
            let s = values[8]
            k = CameraIntrinsics(fx: values[0] / s, fy: values[4] / s, cx: values[2] / s, cy: values[5] / s, skew: values[1] / s)
        default:
            return .failure(IntrinsicsError("'\(text)' has \(values.count) values; expected fx,fy,cx,cy or the 9 values of K"))
        }
        if let problem = k.problem { return .failure(IntrinsicsError("'\(text)': \(problem)")) }
        return .success(k)
    }

    /// Why these intrinsics cannot be used, or nil.
    public var problem: String? {
        guard [fx, fy, cx, cy, skew].allSatisfy(\.isFinite) else { return "values must be finite" }
        guard fx != 0, fy != 0 else { return "focal lengths must be non-zero" }
        return nil
    }

    /// Row-major K.
    public var matrix: Mat3 { Mat3([fx, skew, cx, 0, fy, cy, 0, 0, 1]) }

    /// K⁻¹ applied to a pixel: the point on the normalised image plane z = 1.
    @inline(__always) public func normalize(x: Double, y: Double) -> (Double, Double) {
        let v = (y - cy) / fy
        let u = (x - cx - skew * v) / fx
        return (u, v)
    }

    /// K applied to a normalised point.
    @inline(__always) public func project(u: Double, v: Double) -> (Double, Double) {
        (fx * u + skew * v + cx, fy * v + cy)
    }

    /// mean(|K[:2,:2]|), the scale the standard protocol divides the pixel threshold by.
    public var meanAbsoluteFocal: Double { (abs(fx) + abs(skew) + abs(fy)) / 4 }
}

public struct IntrinsicsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ text: String) { description = text }
}

/// The pixel threshold expressed on the normalised image plane, exactly as the
/// LoFTR/RoMa benchmarks do (romatch `megadepth_pose_estimation_benchmark.py`):
/// `threshold / (mean(|K_a[:2,:2]|) + mean(|K_b[:2,:2]|))`. With zero skew and
/// fx = fy = f for both cameras this is threshold / f.
public func normalizedThreshold(pixels: Double, _ a: CameraIntrinsics, _ b: CameraIntrinsics) -> Double {
    pixels / (a.meanAbsoluteFocal + b.meanAbsoluteFocal)
}
