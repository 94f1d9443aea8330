import Foundation
import Parallel

/// Pose errors of one results artifact sorted once, each tagged with its pair, so
/// the AUC of any resample of pairs is one pass over the list with per-pair weights
/// (a pair drawn k times counts each of its errors k times) instead of a new sort.
public struct PairedErrors: Sendable {
    public let errors: [Double]
    public let pairs: [Int]
    public let pairCount: Int
    /// The unsorted errors (pairs, then repetitions), to tell identical runs apart.
    public let byPair: [Double]

    public init(_ results: BenchmarkResults) {
        // The AUC's errors are pairs then repetitions (plus ScanNet's repeated last one).
        let perPair = results.repetitions + (results.countLastRepetitionTwice ? 1 : 0)
        let all = results.poseErrorsForAUC.map { $0.isNaN ? .infinity : $0 }
        byPair = all
        let order = all.indices.sorted { all[$0] < all[$1] }
        errors = order.map { all[$0] }
        pairs = order.map { $0 / perPair }
        pairCount = results.pairCount
    }

    /// `PoseAUC.auc` of the list in which each error of pair p appears `weights[p]`
    /// times. Equal errors add zero-width trapezoids, so the copies collapse into one
    /// step of height weight / n.
    public func auc(weights: [Int], thresholds: [Double]) -> [Double] {
        var total = 0
        for p in pairs { total += weights[p] }
        guard total > 0 else { return thresholds.map { _ in 0 } }
        let n = Double(total)
        return thresholds.map { threshold in
            var area = 0.0, previousError = 0.0, previousRecall = 0.0, count = 0
            for (e, p) in zip(errors, pairs) {
                guard e < threshold else { break }
                let w = weights[p]
                guard w > 0 else { continue }
                area += (e - previousError) * (previousRecall + Double(count + 1) / n) / 2
                count += w
                previousError = e
                previousRecall = Double(count) / n
            }
            area += (threshold - previousError) * previousRecall
            return area / threshold
        }
    }
}

/// Paired bootstrap over pairs of the AUC difference between two runs on the same
/// pairs: draw the benchmark's pairs with replacement, score both runs on the same
/// draw, and take percentiles of the differences. Pairs, not single estimates, are
/// the resampled unit: repetitions of one pair share its images and are not
/// independent. A run with several seeds contributes the mean AUC over its seeds.
public enum PairedBootstrap {
    public struct Interval: Sendable {
        /// B's AUC minus A's, per threshold, as fractions (not percent).
        public var observed: [Double]
        public var lower: [Double]
        public var upper: [Double]
        public var level: Double
        public var resamples: Int
        public var seed: UInt64
        /// True when both runs hold the same errors for every pair: nothing to test.
        public var identical: Bool
    }

    public enum Verdict: String, Sendable {
        case identical = "no difference (identical errors)"
        case none = "no difference"
        case better = "better"
        case worse = "worse"
    }

    public static func difference(_ a: [PairedErrors], _ b: [PairedErrors], thresholds: [Double],
                                  resamples: Int = 2000, level: Double = 0.95, seed: UInt64 = 0) -> Interval {
        precondition(!a.isEmpty && !b.isEmpty && resamples > 0 && level > 0 && level < 1)
        let pairCount = a[0].pairCount
        precondition((a + b).allSatisfy { $0.pairCount == pairCount }, "paired bootstrap needs runs over the same pairs")
        func meanAUC(_ runs: [PairedErrors], _ weights: [Int]) -> [Double] {
            var sum = thresholds.map { _ in 0.0 }
            for run in runs { for (k, v) in run.auc(weights: weights, thresholds: thresholds).enumerated() { sum[k] += v } }
            return sum.map { $0 / Double(runs.count) }
        }
        func diff(_ weights: [Int]) -> [Double] { zip(meanAUC(b, weights), meanAUC(a, weights)).map { $0 - $1 } }

        let observed = diff([Int](repeating: 1, count: pairCount))
        var rng = SplitMix64(seed: seed)
        var samples = thresholds.map { _ in [Double]() }
        var weights = [Int](repeating: 0, count: pairCount)
        for _ in 0..<resamples {
            for i in weights.indices { weights[i] = 0 }
            for _ in 0..<pairCount { weights[Int.random(in: 0..<pairCount, using: &rng)] += 1 }
            for (k, d) in diff(weights).enumerated() { samples[k].append(d) }
        }
        let tail = (1 - level) / 2
        let sorted = samples.map { $0.sorted() }
        let identical = a.count == b.count && zip(a, b).allSatisfy { $0.byPair == $1.byPair }
        return Interval(observed: observed, lower: sorted.map { quantile($0, tail) }, upper: sorted.map { quantile($0, 1 - tail) },
                        level: level, resamples: resamples, seed: seed, identical: identical)
    }

    /// The verdict at threshold k: a difference only when the interval excludes 0.
    public static func verdict(_ interval: Interval, threshold k: Int) -> Verdict {
        if interval.identical { return .identical }
        if interval.lower[k] > 0 { return .better }
        if interval.upper[k] < 0 { return .worse }
        return .none
    }

    /// Linear interpolation between order statistics (numpy's default percentile).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let i = Int(position.rounded(.down)), j = min(i + 1, sorted.count - 1)
        return sorted[i] + (sorted[j] - sorted[i]) * (position - Double(i))
    }
}
