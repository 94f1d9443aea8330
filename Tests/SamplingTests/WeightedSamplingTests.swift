import Parallel
import Testing
@testable import Sampling

struct WeightedSamplingTests {
    /// Inclusion probabilities of drawing `k` items one at a time, each with
    /// probability ∝ weight among those not yet drawn, by enumerating every order.
    private func sequentialInclusion(_ weights: [Double], _ k: Int) -> [Double] {
        var inclusion = [Double](repeating: 0, count: weights.count)
        func visit(_ drawn: [Int], _ probability: Double) {
            if drawn.count == k {
                for i in drawn { inclusion[i] += probability }
                return
            }
            let left = weights.indices.filter { !drawn.contains($0) }
            let total = left.reduce(0) { $0 + weights[$1] }
            for i in left { visit(drawn + [i], probability * weights[i] / total) }
        }
        visit([], 1)
        return inclusion
    }

    @Test func inclusionFrequenciesMatchSequentialDrawing() {
        let weights: [Float] = [1, 2, 3, 4, 0.5]
        let k = 2, runs = 20_000
        let exact = sequentialInclusion(weights.map(Double.init), k)
        var counts = [Int](repeating: 0, count: weights.count)
        var firstCounts = [Int](repeating: 0, count: weights.count)
        for seed in 0..<runs {
            let drawn = weightedSampleWithoutReplacement(weights: weights, count: k, seed: UInt64(seed))
            #expect(drawn.count == k && Set(drawn).count == k)
            for i in drawn { counts[i] += 1 }
            firstCounts[drawn[0]] += 1
        }
        let total = weights.reduce(0, +)
        for i in weights.indices {
            // Binomial standard error sqrt(p(1−p)/runs) ≤ 0.0036; allow 5 of them
            // (a false alarm over these 10 checks has probability ≈ 6·10⁻⁶).
            let p = exact[i], se = (p * (1 - p) / Double(runs)).squareRoot()
            #expect(abs(Double(counts[i]) / Double(runs) - p) < 5 * se, "item \(i)")
            // The first item drawn must follow the weights themselves (drawing order).
            let q = Double(weights[i] / total), seFirst = (q * (1 - q) / Double(runs)).squareRoot()
            #expect(abs(Double(firstCounts[i]) / Double(runs) - q) < 5 * seFirst, "first draw, item \(i)")
        }
    }

    @Test func zeroWeightsAreNeverDrawnAndShortPopulationsAreReturnedWhole() {
        let weights: [Float] = [0, 3, 0, 0, 1, 0]
        for seed in 0..<200 {
            let drawn = weightedSampleWithoutReplacement(weights: weights, count: 4, seed: UInt64(seed))
            #expect(Set(drawn) == [1, 4])
        }
        #expect(weightedSampleWithoutReplacement(weights: [0, 0], count: 1, seed: 0).isEmpty)
        #expect(weightedSampleWithoutReplacement(weights: [1, 1], count: 0, seed: 0).isEmpty)
    }

    @Test func sameSeedSameDrawWhateverTheThreadCount() {
        var g = SplitMix64(seed: 99)
        let weights = (0..<50_000).map { _ in Float(SplitMix64.unitInterval(g.next())) }
        let one = weightedSampleWithoutReplacement(weights: weights, count: 2000, seed: 5, threads: 1)
        let two = weightedSampleWithoutReplacement(weights: weights, count: 2000, seed: 5, threads: 2)
        let other = weightedSampleWithoutReplacement(weights: weights, count: 2000, seed: 6, threads: 2)
        #expect(one == two)
        #expect(one != other)
        #expect(Set(one).count == 2000)
    }

    @Test func selectionKeepsExactlyTheSmallestKeys() {
        var g = SplitMix64(seed: 3)
        for trial in 0..<50 {
            let n = 1 + trial * 37
            // Few distinct keys, so ties are exercised; the index breaks them.
            var items = (0..<n).map { KeyedIndex(key: Double(g.next() % 17), index: Int32($0)) }
            let expected = items.sorted(by: <)
            let k = 1 + Int(g.next() % UInt64(n))
            selectSmallest(&items, k)
            #expect(items[..<k].sorted(by: <) == Array(expected[..<k]))
        }
    }
}

