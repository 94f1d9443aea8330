import ArgumentParser
import Foundation
import NN
import Parallel

/// `roma-bench refiner-parts`: the two halves of a RoMa refiner block (depthwise 5×5 + ReLU,
/// then the 1×1 conv without bias, as `RefinerBlock.run` calls them) at each full-size
/// refiner shape, each into a buffer made once, so no page faults are timed: wall and
/// process CPU ms per call, and GFLOP per CPU-second.
struct RefinerPartsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refiner-parts",
        abstract: "RoMa's refiner depthwise and 1×1 convolutions apart, at full-size shapes: GFLOP per CPU-second.")

    @Option(help: "Rounds per shape (the first is not reported).")
    var rounds = 4

    @Option(help: "Threads (default: ROMA_THREADS or all cores).")
    var threads: Int?

    func run() throws {
        Threads.configure(requested: threads)
        // (channels, side): the unfused refiner blocks of `roma match` (coarse pass at 560, fine pass at 864).
        let shapes = [(1377, 40), (1137, 70), (569, 140), (144, 280), (1137, 108), (569, 216), (144, 432)]
        print("threads \(Threads.count); load \(loadAverage())")
        var totals = (dw: 0.0, pw: 0.0)
        for (c, side) in shapes {
            var rng = SplitMix64(seed: UInt64(c))
            func values(_ n: Int, _ s: Float) -> Tensor {
                Tensor((0..<n).map { _ in Float(rng.unit() * 2 - 1) * s }, shape: [n])
            }
            let x = try values(c * side * side, 1).reshaped([1, c, side, side])
            let dw = try values(c * 25, 0.2).reshaped([c, 1, 5, 5]), db = values(c, 0.1)
            let pw = try values(c * c, 1 / Float(c).squareRoot()).reshaped([c, c, 1, 1])
            let hidden = Tensor(zeros: x.shape), y = Tensor(zeros: x.shape)
            var d: [(Double, Double)] = [], p: [(Double, Double)] = []
            for _ in 0..<rounds {
                d.append(try timed { _ = try conv2d(x, weight: dw, bias: db, padding: 2, groups: c, into: hidden, relu: true) })
                p.append(try timed { _ = try conv2d(hidden, weight: pw, into: y) })
            }
            let dwFlop = 2 * 25 * Double(x.count), pwFlop = 2 * Double(c) * Double(x.count)
            func show(_ r: [(Double, Double)], _ flop: Double) -> String {
                let kept = r.dropFirst()
                let cpu = kept.map(\.1).reduce(0, +) / Double(kept.count)
                return kept.map { String(format: "%.1f/%.1f", $0.0 * 1000, $0.1 * 1000) }.joined(separator: " ")
                    + String(format: "  (%.0f GFLOP/CPU-s)", flop / cpu / 1e9)
            }
            totals.dw += d.dropFirst().map(\.1).reduce(0, +) / Double(rounds - 1)
            totals.pw += p.dropFirst().map(\.1).reduce(0, +) / Double(rounds - 1)
            print("C \(c) @\(side)²  depthwise+ReLU wall/CPU ms: \(show(d, dwFlop))   1×1: \(show(p, pwFlop))")
        }
        print(String(format: "sum of one block per shape, CPU ms: depthwise %.1f, 1×1 %.1f", totals.dw * 1000, totals.pw * 1000))
    }

    private func timed(_ body: () throws -> Void) rethrows -> (Double, Double) {
        let c0 = BenchClock.cpuSeconds()
        let wall = try BenchClock.wallSeconds(body)
        return (wall, BenchClock.cpuSeconds() - c0)
    }

    private func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}
