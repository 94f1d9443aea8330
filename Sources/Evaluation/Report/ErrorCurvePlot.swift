import Foundation

/// The cumulative pose-error curve: fraction of pair × repetition errors below x
/// degrees, with the AUC thresholds marked. The AUC at t is the area under this
/// curve up to t, divided by t.
public enum ErrorCurvePlot {
    public static func draw(errors: [Double], thresholds: [Double], auc: [Double], title: String,
                            maxDegrees: Double = 30, width: Int = 720, height: Int = 440) -> Canvas {
        var c = Canvas(width: width, height: height)
        let left = 70.0, right = Double(width) - 20, top = 62.0, bottom = Double(height) - 60
        func px(_ degrees: Double) -> Double { left + (right - left) * min(degrees, maxDegrees) / maxDegrees }
        func py(_ fraction: Double) -> Double { bottom - (bottom - top) * fraction }

        c.text(title, left, 26, scale: 0.6, color: 0x000000)
        // Grid and axes.
        for k in 0...10 {
            let y = py(Double(k) / 10)
            c.line(left, y, right, y, color: k == 0 ? 0x000000 : 0xE4E4E4)
            if k % 2 == 0 { c.text(String(format: "%.1f", Double(k) / 10), left - 40, y + 5, scale: 0.42, color: 0x404040) }
        }
        var tick = 0.0
        while tick <= maxDegrees + 1e-9 {
            let x = px(tick)
            c.line(x, bottom, x, bottom + 5, color: 0x000000)
            let label = String(format: "%g", tick)
            c.text(label, x - Double(Canvas.textSize(label, scale: 0.42).width) / 2, bottom + 22, scale: 0.42, color: 0x404040)
            tick += 5
        }
        c.line(left, top, left, bottom, color: 0x000000)
        c.text("pose error (degrees): max(rotation, translation direction)", left + 80, bottom + 48, scale: 0.45, color: 0x202020)
        c.text("fraction below", 6, top - 12, scale: 0.42, color: 0x202020)

        // AUC thresholds.
        for (t, a) in zip(thresholds, auc) where t <= maxDegrees {
            let x = px(t)
            var y = top
            while y < bottom { c.line(x, y, x, min(y + 6, bottom), color: 0x8080C0); y += 12 }
            c.text(String(format: "AUC@%g %.1f", t, 100 * a), x + 4, top + 14 + 18 * Double(thresholds.firstIndex(of: t) ?? 0),
                   scale: 0.45, color: 0x303090)
        }

        // The step curve of sorted errors, from (0, 0).
        let sorted = errors.map { $0.isNaN ? .infinity : $0 }.sorted()
        guard !sorted.isEmpty else { return c }
        let n = Double(sorted.count)
        var previous = (px(0), py(0))
        for (i, e) in sorted.enumerated() {
            guard e <= maxDegrees else { break }
            let x = px(e)
            let y = py(Double(i + 1) / n)
            c.line(previous.0, previous.1, x, previous.1, color: 0xC03020, thickness: 2)
            c.line(x, previous.1, x, y, color: 0xC03020, thickness: 2)
            previous = (x, y)
        }
        c.line(previous.0, previous.1, px(maxDegrees), previous.1, color: 0xC03020, thickness: 2)
        return c
    }
}
