import Parallel
import Foundation
import ImageIO

/// A 3×3 homography acting on (x, y) in the tool's pixel convention.
struct Homography {
    var m: [Double]  // row-major 3×3

    func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        let w = m[6] * x + m[7] * y + m[8]
        return ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }

    var inverse: Homography {
        let a = m
        let c00 = a[4] * a[8] - a[5] * a[7], c01 = a[5] * a[6] - a[3] * a[8], c02 = a[3] * a[7] - a[4] * a[6]
        let det = a[0] * c00 + a[1] * c01 + a[2] * c02
        let inv = [c00, a[2] * a[7] - a[1] * a[8], a[1] * a[5] - a[2] * a[4],
                   c01, a[0] * a[8] - a[2] * a[6], a[2] * a[3] - a[0] * a[5],
                   c02, a[1] * a[6] - a[0] * a[7], a[0] * a[4] - a[1] * a[3]]
        return Homography(m: inv.map { $0 / det })
    }

    /// Rotation by `degrees` and scale about `centre`, then a shift, with a mild
    /// perspective term so the warp is a true homography, not an affinity.
    static func similarity(degrees: Double, scale: Double, centre: (Double, Double), shift: (Double, Double),
                           perspective: (Double, Double) = (0, 0)) -> Homography {
        let t = degrees * .pi / 180
        let c = scale * cos(t), s = scale * sin(t)
        let (cx, cy) = centre
        return Homography(m: [c, -s, cx - c * cx + s * cy + shift.0,
                              s, c, cy - s * cx - c * cy + shift.1,
                              perspective.0, perspective.1, 1])
    }
}

/// A procedural texture of Gaussian blobs, defined at every real (x, y), so an image
/// and its warp can both be rendered exactly (no resampling of pixels).
struct BlobTexture {
    struct Blob { var x, y, sigma, amplitude: Double }
    let blobs: [Blob]

    init(seed: UInt64, count: Int, width: Double, height: Double) {
        var rng = SplitMix64(seed: seed)
        var blobs: [Blob] = []
        for _ in 0..<count {
            blobs.append(Blob(x: rng.uniform(-40, width + 40), y: rng.uniform(-40, height + 40),
                              sigma: rng.uniform(2, 9), amplitude: rng.uniform(-110, 110)))
        }
        self.blobs = blobs
    }

    func value(_ x: Double, _ y: Double) -> Double {
        var v = 128.0
        for b in blobs {
            let dx = x - b.x, dy = y - b.y
            let r2 = dx * dx + dy * dy
            let s2 = b.sigma * b.sigma
            if r2 < 16 * s2 { v += b.amplitude * exp(-0.5 * r2 / s2) }
        }
        return v
    }

    /// Pixel (row i, column j) shows the texture at `warp`⁻¹ of its centre
    /// (j + 0.5, i + 0.5): the tool's convention puts the top-left centre at (0.5, 0.5).
    func render(width: Int, height: Int, through warp: Homography?) -> [UInt8] {
        let back = warp?.inverse
        var pixels = [UInt8](repeating: 0, count: width * height)
        for i in 0..<height {
            for j in 0..<width {
                var (x, y) = (Double(j) + 0.5, Double(i) + 0.5)
                if let back { (x, y) = back.apply(x, y) }
                pixels[i * width + j] = UInt8(max(0, min(255, value(x, y).rounded())))
            }
        }
        return pixels
    }
}

/// Writes 8-bit grayscale as a PNG (grey replicated to RGB, which OpenCV's grayscale
/// read turns back into the same values); the tool reads only JPEG and PNG.
func writeGrayPNG(_ pixels: [UInt8], width: Int, height: Int, to path: String) throws {
    try ImageFile.write(RGBImage(width: width, height: height, pixels: pixels.flatMap { [$0, $0, $0] }), to: path)
}
