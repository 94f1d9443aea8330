import Artifacts
import Foundation

/// Deterministic warps with a known geometry and a realistic certainty map, for
/// the sampling benchmark and tests (no model needed).
public enum SyntheticWarp {
    /// A symmetric warp of a projective motion between two images: A→B maps each
    /// normalised point by a homography H, B→A by H⁻¹. Certainty is a smooth
    /// field with confident and doubtful regions (as RoMa's sigmoid output looks),
    /// set to zero where the warp leaves the image, as the reference's `match` does.
    public static func projective(width: Int, height: Int, imageWidth: Int = 1600, imageHeight: Int = 1200) -> Warp {
        // Rotation by 8°, scale 0.85, a shift and a little perspective.
        let c = cos(8 * Double.pi / 180) * 0.85, s = sin(8 * Double.pi / 180) * 0.85
        let h: [Double] = [c, -s, 0.12, s, c, -0.05, 0.06, -0.04, 1]
        let inverse = invert3x3(h)
        var warpAB = [Float](repeating: 0, count: width * height * 2), warpBA = warpAB
        var certaintyAB = [Float](repeating: 0, count: width * height), certaintyBA = certaintyAB
        for row in 0..<height {
            for col in 0..<width {
                let u = Double(2 * col + 1) / Double(width) - 1, v = Double(2 * row + 1) / Double(height) - 1
                let cell = row * width + col
                for (matrix, phase) in [(h, 0.0), (inverse, 1.3)] {
                    let w = matrix[6] * u + matrix[7] * v + matrix[8]
                    let x = (matrix[0] * u + matrix[1] * v + matrix[2]) / w
                    let y = (matrix[3] * u + matrix[4] * v + matrix[5]) / w
                    let field = 2.5 * sin(3.1 * u + phase) * cos(2.3 * v - phase) + 1.5 * sin(7 * u * v) + 0.5
                    let inside = abs(x) <= 1 && abs(y) <= 1
                    let certainty = inside ? Float(1 / (1 + exp(-field))) : 0
                    let target = [Float(max(-1, min(1, x))), Float(max(-1, min(1, y)))]
                    if phase == 0 {
                        warpAB[2 * cell] = target[0]; warpAB[2 * cell + 1] = target[1]; certaintyAB[cell] = certainty
                    } else {
                        warpBA[2 * cell] = target[0]; warpBA[2 * cell + 1] = target[1]; certaintyBA[cell] = certainty
                    }
                }
            }
        }
        return Warp(width: width, height: height, warpAB: warpAB, warpBA: warpBA, certaintyAB: certaintyAB,
                    certaintyBA: certaintyBA, widthA: imageWidth, heightA: imageHeight, widthB: imageWidth, heightB: imageHeight)
    }

    private static func invert3x3(_ m: [Double]) -> [Double] {
        let a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], i = m[8]
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        return [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
                (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
                (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det]
    }
}
