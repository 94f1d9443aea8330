import Foundation
import NN
import Parallel

/// `roma-bench refiner-block --parts`: the two halves of a RoMa refiner block (depthwise 5×5
/// + ReLU, then the 1×1 conv without bias, as `RefinerBlock.run` calls them) at each unfused
/// full-size refiner shape, each into a buffer made once, so no page faults are timed: wall
/// and process CPU ms per call, and GFLOP per CPU-second (docs/runtime.md, "Depthwise planes
/// four rows at a time").
extension RefinerBlockBench {
    func runParts() throws {
        // (channels, side): the unfused refiner blocks of `roma match` (coarse pass at 560, fine pass at 864).
        let shapes = [(1377, 40), (1137, 70), (569, 140), (144, 280), (1137, 108), (569, 216), (144, 432)]
        print("threads \(Threads.count); load \(loadAverage())")
        var totals = (dw: 0.0, pw: 0.0)
        let kept = max(1, rounds - 1)   // the first round pays first touches and is not reported
        for (c, side) in shapes {
            let (x, dw, db, pw, _) = try operands(channels: c, side: side)
            let hidden = Tensor(zeros: x.shape), y = Tensor(zeros: x.shape)
            var d: [(Double, Double)] = [], p: [(Double, Double)] = []
            for _ in 0..<max(2, rounds) {
                d.append(try timed { _ = try conv2d(x, weight: dw, bias: db, padding: 2, groups: c, into: hidden, relu: true) })
                p.append(try timed { _ = try conv2d(hidden, weight: pw, into: y) })
            }
            func cpu(_ r: [(Double, Double)]) -> Double { r.suffix(kept).map(\.1).reduce(0, +) / Double(kept) }
            func show(_ r: [(Double, Double)], flop: Double) -> String {
                r.suffix(kept).map { String(format: "%.1f/%.1f", $0.0 * 1000, $0.1 * 1000) }.joined(separator: " ")
                    + String(format: "  (%.0f GFLOP/CPU-s)", flop / cpu(r) / 1e9)
            }
            totals.dw += cpu(d)
            totals.pw += cpu(p)
            print("C \(c) @\(side)²  depthwise+ReLU wall/CPU ms: \(show(d, flop: 50 * Double(x.count)))   "
                  + "1×1: \(show(p, flop: 2 * Double(c) * Double(x.count)))")
        }
        print(String(format: "sum of one block per shape, CPU ms: depthwise + ReLU %.1f, 1×1 %.1f", totals.dw * 1000, totals.pw * 1000))
    }
}
