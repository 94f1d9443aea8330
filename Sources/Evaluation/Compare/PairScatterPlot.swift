import Foundation

/// Per-pair pose error of run A (x) against run B (y) on log axes from the decade
/// below the smallest error (at least 1e-6°) to 100° (a failure counts 90°; an
/// exact pose is clipped to the lower edge).
/// Points under the diagonal are pairs B estimates better (green), above it worse (red).
public enum PairScatterPlot {
    public static func draw(a: [Double], b: [Double], labelA: String, labelB: String, title: String, size: Int = 520) -> Canvas {
        precondition(a.count == b.count)
        let width = size + 110, height = size + 120
        var c = Canvas(width: width, height: height)
        let left = 80.0, top = 50.0, side = Double(size) - 20
        let smallest = (a + b).filter { $0 > 0 && $0.isFinite }.min() ?? 1
        let range = pow(10, max(-6, min(-1, log10(smallest).rounded(.down))))...100.0
        let (lo, hi) = (log10(range.lowerBound), log10(range.upperBound))
        func position(_ degrees: Double) -> Double {
            let clipped = min(max(degrees.isNaN ? range.upperBound : degrees, range.lowerBound), range.upperBound)
            return (log10(clipped) - lo) / (hi - lo)
        }
        func px(_ e: Double) -> Double { left + side * position(e) }
        func py(_ e: Double) -> Double { top + side * (1 - position(e)) }

        c.text(title, 10, 26, scale: 0.55, color: 0x000000)
        // Decades as a grid, labelled on both axes.
        for exponent in Int(lo)...Int(hi) {
            let e = pow(10, Double(exponent))
            c.line(px(e), top, px(e), top + side, color: 0xE4E4E4)
            c.line(left, py(e), left + side, py(e), color: 0xE4E4E4)
            let label = String(format: "%g", e)
            c.text(label, px(e) - Double(Canvas.textSize(label, scale: 0.4).width) / 2, top + side + 20, scale: 0.4, color: 0x404040)
            c.text(label, left - 12 - Double(Canvas.textSize(label, scale: 0.4).width), py(e) + 5, scale: 0.4, color: 0x404040)
        }
        c.rectangle(left, top, left + side, top + side, color: 0x000000)
        c.line(left, top + side, left + side, top, color: 0x8080C0)  // y = x
        c.text("x: median pose error (deg), \(labelA)", left, top + side + 48, scale: 0.42, color: 0x202020)
        c.text("y: the same, \(labelB)", left, top + side + 68, scale: 0.42, color: 0x202020)
        c.text("green: lower error in the second run, red: higher", left, top + side + 88, scale: 0.42, color: 0x202020)

        for (x, y) in zip(a, b) {
            let ratio = position(y) - position(x)
            let color: UInt32 = abs(ratio) < 0.002 ? 0x707070 : (ratio < 0 ? 0x20A040 : 0xD03020)
            c.circle(px(x), py(y), radius: 3, color: color)
        }
        return c
    }
}
