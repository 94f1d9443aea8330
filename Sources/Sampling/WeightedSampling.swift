import Foundation
import Parallel

/// Exact weighted sampling without replacement by exponential keys
/// (Efraimidis & Spirakis, "Weighted random sampling with a reservoir", IPL 2006):
/// give item i the key E_i / w_i with E_i ~ Exp(1) and keep the `count` smallest.
/// That has the same distribution as drawing items one at a time with probability
/// proportional to weight among those not yet drawn — what `torch.multinomial`
/// (replacement=False) does, and by the same trick on CPU.
///
/// Items of zero weight are never drawn; when fewer than `count` items have positive
/// weight, all of them are returned (torch would pad with zero-weight items).
/// The result lists indices in drawing order (smallest key first), as torch's
/// `topk` does. Each item's random number depends only on (seed, index), so the
/// draw is the same for any thread count.
public func weightedSampleWithoutReplacement(weights: [Float], count: Int, seed: UInt64,
                                             threads: Int = Threads.count) -> [Int] {
    precondition(count >= 0)
    let n = weights.count
    guard count > 0, n > 0 else { return [] }
    var keys = [Double](repeating: .infinity, count: n)
    keys.withUnsafeMutableBufferPointer { buffer in
        let out = SendablePointer(buffer.baseAddress!)
        weights.withUnsafeBufferPointer { w in
            let weight = SendableConstPointer(w.baseAddress!)
            let chunk = 4096
            parallelFor((n + chunk - 1) / chunk, threads: threads) { c in
                for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                    let wi = weight.base[i]
                    guard wi > 0 else { continue }
                    let u = SplitMix64.unitInterval(SplitMix64.value(seed: seed, at: UInt64(i)))
                    out[i] = -log(u) / Double(wi)
                }
            }
        }
    }
    var candidates: [KeyedIndex] = []
    candidates.reserveCapacity(n)
    for i in 0..<n where keys[i].isFinite { candidates.append(KeyedIndex(key: keys[i], index: Int32(truncatingIfNeeded: i))) }
    if candidates.count > count {
        selectSmallest(&candidates, count)
        candidates.removeSubrange(count...)
    }
    candidates.sort(by: <)
    return candidates.map { Int($0.index) }
}

/// A sort key with its item; ties on the key fall back to the index so the order
/// is total and the result deterministic.
struct KeyedIndex: Comparable {
    var key: Double
    var index: Int32
    static func < (a: KeyedIndex, b: KeyedIndex) -> Bool { a.key != b.key ? a.key < b.key : a.index < b.index }
}

/// Rearranges `items` so that its first `count` elements are the `count` smallest
/// (in no particular order): Hoare's selection, expected linear time on the random
/// keys it is used for.
func selectSmallest(_ items: inout [KeyedIndex], _ count: Int) {
    guard count > 0, count < items.count else { return }
    let k = count - 1
    var lo = 0, hi = items.count - 1
    items.withUnsafeMutableBufferPointer { a in
        while lo < hi {
            let pivot = a[k]
            var i = lo, j = hi
            repeat {
                while a[i] < pivot { i += 1 }
                while pivot < a[j] { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            } while i <= j
            if j < k { lo = i }
            if k < i { hi = j }
        }
    }
}
