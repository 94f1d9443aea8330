import ArgumentParser
import Foundation
import NN
import Parallel

/// `roma-bench refiner-block`: one RoMa refiner block (depthwise 5×5 + ReLU + 1×1) at each
/// refiner's full-size shape, run apart (conv2d, relu, conv2d) and fused
/// (`depthwisePointwise`) in alternating rounds; wall and process CPU seconds per call.
struct RefinerBlockBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refiner-block",
        abstract: "RoMa's refiner block at full-size shapes: separate ops vs fused, alternating rounds.")

    @Option(help: "Rounds (each: apart, then fused).")
    var rounds = 3

    @Option(help: "Threads (default: ROMA_THREADS or all cores).")
    var threads: Int?

    @Option(help: "Fused band columns (default: automatic).")
    var band: Int?

    @Flag(help: "Instead: the depthwise + ReLU and the 1×1 apart at each unfused shape, GFLOP per CPU-second (RefinerParts.swift).")
    var parts = false

    func run() throws {
        Threads.configure(requested: threads)
        if parts { return try runParts() }
        // (channels, side): the refiners of `roma match` at 864² (fine pass) and 560² (16 at 40).
        let shapes = [(1377, 40), (1137, 108), (569, 216), (144, 432), (24, 864)]
        print("fused available: \(depthwisePointwiseAvailable); threads \(Threads.count); load \(loadAverage())")
        for (c, side) in shapes {
            let (x, dw, db, pw, pb) = try operands(channels: c, side: side)
            var apart: [(Double, Double)] = [], fused: [(Double, Double)] = []
            for _ in 0..<rounds {
                apart.append(try timed {
                    let h = try conv2d(x, weight: dw, bias: db, padding: 2, groups: c)
                    _ = try relu(h, into: h)
                    _ = try conv2d(h, weight: pw, bias: pb)
                })
                fused.append(try timed {
                    _ = try depthwisePointwise(x, depthwiseWeight: dw, depthwiseBias: db, padding: 2, relu: true,
                                               pointwiseWeight: pw, pointwiseBias: pb, bandColumns: band)
                })
            }
            func show(_ r: [(Double, Double)]) -> String {
                r.map { String(format: "%.0f/%.0f", $0.0 * 1000, $0.1 * 1000) }.joined(separator: " ")
            }
            print("C \(c) @\(side)²  apart wall/CPU ms: \(show(apart))   fused: \(show(fused))")
        }
    }

    /// Seeded input [1, c, side, side], depthwise 5×5 weight and bias, 1×1 weight and bias.
    func operands(channels c: Int, side: Int) throws -> (Tensor, Tensor, Tensor, Tensor, Tensor) {
        var rng = SplitMix64(seed: UInt64(c))
        func values(_ n: Int, _ s: Float) -> Tensor {
            Tensor((0..<n).map { _ in Float(rng.unit() * 2 - 1) * s }, shape: [n])
        }
        let x = try values(c * side * side, 1).reshaped([1, c, side, side])
        let dw = try values(c * 25, 0.2).reshaped([c, 1, 5, 5]), db = values(c, 0.1)
        let pw = try values(c * c, 1 / Float(c).squareRoot()).reshaped([c, c, 1, 1]), pb = values(c, 0.1)
        return (x, dw, db, pw, pb)
    }

    func timed(_ body: () throws -> Void) rethrows -> (Double, Double) {
        let (w0, c0) = (Date(), cpuSeconds())
        try body()
        return (Date().timeIntervalSince(w0), cpuSeconds() - c0)
    }

    private func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}
