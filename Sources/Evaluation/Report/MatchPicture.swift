import Artifacts
import Foundation

/// Pictures of one pair for the report: sampled matches as lines between the two
/// images (inliers green, outliers red), and the dense warp with its certainty.
public enum MatchPicture {
    /// Images side by side at a common height, with up to `maxLines` matches drawn.
    public static func matches(imageA: Canvas, imageB: Canvas, matches: Matches, inliers: [UInt8]?, caption: String,
                               height: Int = 360, maxLines: Int = 150) -> Canvas {
        let scaleA = Double(height) / Double(imageA.height), scaleB = Double(height) / Double(imageB.height)
        let wA = max(1, Int((Double(imageA.width) * scaleA).rounded())), wB = max(1, Int((Double(imageB.width) * scaleB).rounded()))
        let gap = 10, band = 34
        var c = Canvas(width: wA + gap + wB, height: height + band)
        c.paste(imageA.resized(width: wA, height: height), x: 0, y: band)
        c.paste(imageB.resized(width: wB, height: height), x: wA + gap, y: band)
        c.text(caption, 6, 23, scale: 0.55, color: 0x000000)
        let count = matches.count
        guard count > 0 else { return c }
        // An even spread over the list, so the picture does not depend on sample order bias.
        let step = max(1, count / maxLines)
        var i = 0
        while i < count {
            let inlier = inliers.map { $0.count == count && $0[i] != 0 } ?? true
            let xa = matches.pointsA[2 * i] * scaleA, ya = matches.pointsA[2 * i + 1] * scaleA + Double(band)
            let xb = matches.pointsB[2 * i] * scaleB + Double(wA + gap), yb = matches.pointsB[2 * i + 1] * scaleB + Double(band)
            let color: UInt32 = inlier ? 0x20B040 : 0xE03020
            guard [xa, ya, xb, yb].allSatisfy(\.isFinite) else { i += step; continue }  // NaN matches: nothing to draw
            c.line(xa, ya, xb, yb, color: color)
            c.circle(xa, ya, radius: 1.8, color: color)
            c.circle(xb, yb, radius: 1.8, color: color)
            i += step
        }
        return c
    }

    /// Three panels at A's aspect: image A, image B pulled back into A's frame through
    /// the warp (faded where certainty is low), and the certainty itself (white = 1).
    public static func warp(imageA: Canvas, imageB: Canvas, warp: Warp, caption: String, height: Int = 300) -> Canvas {
        let width = max(1, Int((Double(imageA.width) * Double(height) / Double(imageA.height)).rounded()))
        let a = imageA.resized(width: width, height: height)
        var warped = Canvas(width: width, height: height, background: 0xFFFFFF)
        var certainty = Canvas(width: width, height: height, background: 0x000000)
        for y in 0..<height {
            for x in 0..<width {
                // The warp cell under this pixel (nearest), then B's pixel it points to.
                let i = min(warp.height - 1, y * warp.height / height), j = min(warp.width - 1, x * warp.width / width)
                let cell = i * warp.width + j
                let conf = Double(max(0, min(1, warp.certaintyAB[cell])))
                let gray = UInt8((255 * conf).rounded())
                for k in 0..<3 { certainty.rgb[(y * width + x) * 3 + k] = gray }
                let u = Double(warp.warpAB[cell * 2]), v = Double(warp.warpAB[cell * 2 + 1])
                let bx = Int(((u + 1) / 2 * Double(imageB.width)).rounded(.down)), by = Int(((v + 1) / 2 * Double(imageB.height)).rounded(.down))
                guard bx >= 0, bx < imageB.width, by >= 0, by < imageB.height else { continue }
                for k in 0..<3 {
                    let value = Double(imageB.rgb[(by * imageB.width + bx) * 3 + k])
                    warped.rgb[(y * width + x) * 3 + k] = UInt8((value * conf + 255 * (1 - conf)).rounded())
                }
            }
        }
        let gap = 10, band = 34
        var c = Canvas(width: 3 * width + 2 * gap, height: height + band)
        c.text(caption, 6, 23, scale: 0.55, color: 0x000000)
        c.paste(a, x: 0, y: band)
        c.paste(warped, x: width + gap, y: band)
        c.paste(certainty, x: 2 * (width + gap), y: band)
        return c
    }
}
