import Artifacts
import Checkpoint
import Foundation
import NN
import RoMa

/// The bf16 line of `roma-bench match`: the same pair, weights and process as the fp32
/// run just before it, with `RoMaConfig.precision = .bf16`; its time beside fp32's and
/// how far its warp lies from fp32's over every pixel of the grid, per direction.
extension MatchBench {
    func compareBF16(dir: String, _ a: DecodedImage, _ b: DecodedImage, fp32 warp: Warp, fp32Seconds: Double, fp32CPU: Double,
                     peak machine: MachinePeak) throws {
        let weights = CombinedWeights(roma: try StateDict.load(dir + "/roma_random.safetensors"),
                                      dinov2: try StateDict.load(dir + "/dinov2_random.safetensors"))
        var config = RoMaConfig.outdoor
        config.precision = .bf16
        let model = try RoMaModel(weights: weights, config: config)
        FlopCounter.reset()
        StageClock.reset()
        let cpu0 = cpuSeconds(), t0 = Date()
        let bf16 = try model.match(a, b)
        let seconds = Date().timeIntervalSince(t0), cpu = cpuSeconds() - cpu0
        let rate = FlopCounter.count / seconds / 1e9
        let share = machine.all[.dotBF16].map { String(format: "%.0f%% of the bf16 dot peak", 100 * rate / $0) }
            ?? machine.fp32.map { String(format: "%.0f%% of the fp32 peak (no AVX512-BF16)", 100 * rate / $0) } ?? "–"
        print(String(format: "bf16:      match %.1f s (CPU %.1f s) = %.2f× fp32's time in this run (CPU %.2f×), %.1f GFLOP/s = %@; bf16 GEMMs: %@",
                     seconds, cpu, seconds / fp32Seconds, cpu / fp32CPU, rate, share as NSString, BF16.backend.rawValue as NSString))
        for (stage, s) in StageClock.seconds.sorted(by: { $0.value > $1.value }).prefix(8) {
            print(String(format: "    %-28@ %6.1f s", stage as NSString, s))
        }
        print("bf16 warp vs fp32 warp, every pixel of the \(warp.width)×\(warp.height) grid (pixels of that grid):")
        for (name, w32, w16, c32, c16) in [("A→B", warp.warpAB, bf16.warpAB, warp.certaintyAB, bf16.certaintyAB),
                                           ("B→A", warp.warpBA, bf16.warpBA, warp.certaintyBA, bf16.certaintyBA)] {
            let d = WarpDeviation(w32, w16, c32, c16, width: warp.width, height: warp.height)
            print("    \(name): " + d.summary)
        }
    }
}

/// End-point distances between two warps of one grid, in pixels of that grid (as
/// scripts/reference/compare_warp.py measures them), and certainty differences.
struct WarpDeviation {
    let distances: [Double]
    let certainty: [Double]

    init(_ a: [Float], _ b: [Float], _ ca: [Float], _ cb: [Float], width: Int, height: Int) {
        let sx = Double(width) / 2, sy = Double(height) / 2
        distances = (0..<(a.count / 2)).map { i in
            let dx = Double(a[2 * i] - b[2 * i]) * sx, dy = Double(a[2 * i + 1] - b[2 * i + 1]) * sy
            return (dx * dx + dy * dy).squareRoot()
        }
        certainty = zip(ca, cb).map { abs(Double($0) - Double($1)) }
    }

    func share(within limit: Double) -> Double {
        Double(distances.count(where: { $0 <= limit })) / Double(max(1, distances.count))
    }

    var summary: String {
        let sorted = distances.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let meanCertainty = certainty.reduce(0, +) / Double(max(1, certainty.count))
        return String(format: "%.2f %% within 0.01 px, %.2f %% within 1 px, median %.2g px, max %.3g px; certainty |Δ| mean %.2g, max %.2g",
                      100 * share(within: 0.01), 100 * share(within: 1), median, sorted.last ?? 0, meanCertainty, certainty.max() ?? 0)
    }
}
