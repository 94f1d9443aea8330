import Foundation

/// The cumulative pose-error curve: fraction of pair × repetition errors below x
/// degrees, with the AUC thresholds marked. The AUC at t is the area under this
/// curve up to t, divided by t. Several runs overlay in one plot with a legend.
public enum ErrorCurvePlot {
    /// One curve: a run's errors, its AUC per threshold, a label and a colour.
    public struct Series: Sendable {
        public var label: String
        public var errors: [Double]
        public var auc: [Double]
        public var color: UInt32

        public init(label: String, errors: [Double], auc: [Double], color: UInt32) {
            self.label = label
            self.errors = errors
            self.auc = auc
            self.color = color
        }
    }

    /// Distinct colours for overlaid runs (the first is the single-run colour).
    public static let palette: [UInt32] = [0xC03020, 0x2060C0, 0x20A040, 0xE08000, 0x8030B0, 0x00A0A0, 0x806040, 0x606060]

    public static func draw(errors: [Double], thresholds: [Double], auc: [Double], title: String,
                            maxDegrees: Double = 30, width: Int = 720, height: Int = 440) -> Canvas {
        draw([Series(label: "", errors: errors, auc: auc, color: palette[0])], thresholds: thresholds, title: title,
             maxDegrees: maxDegrees, width: width, height: height)
    }

    public static func draw(_ series: [Series], thresholds: [Double], title: String,
                            maxDegrees: Double = 30, width: Int = 720, height: Int = 440) -> Canvas {
        let legend = series.count > 1 ? series.count : 0
        let legendLines = series.map { s in
            "\(s.label)   AUC@" + zip(thresholds, s.auc).map { String(format: "%g: %.1f", $0, 100 * $1) }.joined(separator: "  ")
        }
        // Wide enough for the longest legend line (OpenCV's font has no '°': "deg").
        let width = legend > 0 ? max(width, 70 + 32 + 20 + (legendLines.map { Canvas.textSize($0, scale: 0.42).width }.max() ?? 0)) : width
        let height = height + 20 * legend
        var c = Canvas(width: width, height: height)
        let left = 70.0, right = Double(width) - 20, top = 62.0 + 20 * Double(legend), bottom = Double(height) - 60
        func px(_ degrees: Double) -> Double { left + (right - left) * min(degrees, maxDegrees) / maxDegrees }
        func py(_ fraction: Double) -> Double { bottom - (bottom - top) * fraction }

        c.text(title, left, 26, scale: 0.6, color: 0x000000)
        // Legend: one line per run with its AUCs.
        for (k, s) in series.enumerated() where legend > 0 {
            let y = 50 + 20 * Double(k)
            c.line(left, y - 5, left + 24, y - 5, color: s.color, thickness: 3)
            c.text(legendLines[k], left + 32, y, scale: 0.42, color: 0x202020)
        }
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

        // AUC thresholds (their values are in the legend when there are several runs).
        for (i, t) in thresholds.enumerated() where t <= maxDegrees {
            let x = px(t)
            var y = top
            while y < bottom { c.line(x, y, x, min(y + 6, bottom), color: 0x8080C0); y += 12 }
            let label = legend > 0 ? String(format: "%g deg", t) : String(format: "AUC@%g %.1f", t, 100 * series[0].auc[i])
            c.text(label, x + 4, top + 14 + 18 * Double(i), scale: 0.45, color: 0x303090)
        }

        // Each run's step curve of sorted errors, from (0, 0).
        for s in series {
            let sorted = s.errors.map { $0.isNaN ? .infinity : $0 }.sorted()
            guard !sorted.isEmpty else { continue }
            let n = Double(sorted.count)
            var previous = (px(0), py(0))
            for (i, e) in sorted.enumerated() {
                guard e <= maxDegrees else { break }
                let x = px(e)
                let y = py(Double(i + 1) / n)
                c.line(previous.0, previous.1, x, previous.1, color: s.color, thickness: 2)
                c.line(x, previous.1, x, y, color: s.color, thickness: 2)
                previous = (x, y)
            }
            c.line(previous.0, previous.1, px(maxDegrees), previous.1, color: s.color, thickness: 2)
        }
        return c
    }
}
