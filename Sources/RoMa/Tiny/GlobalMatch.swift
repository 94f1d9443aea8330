import Foundation
import NN
import Parallel

/// Tiny RoMa's coarse match (`corr_volume` then `pos_embed` at inference, where
/// `exact_softmax` is False): for each coarse pixel i of A, the correlation
/// c_j = ⟨f_B[j], f_A[i]⟩ / √C with every coarse pixel j of B; the expected
/// position of B under a softmax over
///   - the correlations at every 4th row and column of B (j = (4r, 4s)), each
///     standing for the centre of its 4×4 block, linspace(−1 + 4/W, 1 − 4/W, W/4),
///   - and one more logit that the reference builds by concatenating `best_match`,
///     the argmax over all j, to those correlations: the *index* of the best match,
///     promoted to a float, not its correlation. Its weight goes to the centre of
///     pixel `best_match`.
/// That last logit is reproduced as the reference computes it: with thousands of
/// coarse pixels it usually dominates, and the coarse warp is then the best match.
///
/// The reference materialises the H_B·W_B × H_A·W_A volume (3.6 GB at MegaDepth's
/// 1600 × 1200); here it is computed in bands of A's pixels and reduced at once.
func globalMatch(_ featuresA: Tensor, _ featuresB: Tensor, workspace: Workspace? = nil) throws -> Tensor {
    let c = featuresA.channels
    guard featuresB.channels == c else {
        throw RoMaError("coarse features of A and B differ in width: \(featuresA.shape) vs \(featuresB.shape)")
    }
    let (ha, wa) = (featuresA.height, featuresA.width)
    let (hb, wb) = (featuresB.height, featuresB.width)
    let down = 4
    guard hb % down == 0, wb % down == 0 else {
        throw RoMaError("B's coarse grid \(wb)x\(hb) must be a multiple of \(down) (the image a multiple of 32)")
    }
    let na = ha * wa, nb = hb * wb
    let gridX = normalisedCentres(wb), gridY = normalisedCentres(hb)
    let lowX = linspace(Float(-1 + Double(down) / Double(wb)), Float(1 - Double(down) / Double(wb)), wb / down)
    let lowY = linspace(Float(-1 + Double(down) / Double(hb)), Float(1 - Double(down) / Double(hb)), hb / down)
    let lowIndex = (0..<(hb / down)).flatMap { r in (0..<(wb / down)).map { s in (down * r) * wb + down * s } }
    let lowCount = lowIndex.count

    let tokensA = try permute(try featuresA.reshaped([1, c, na]), [0, 2, 1], workspace: workspace).reshaped([na, c])  // [NA, C]
    let mapB = try featuresB.reshaped([c, nb])                        // [C, NB]
    let out = Tensor(zeros: [1, 2, ha, wa])
    let band = max(1, min(na, (1 << 22) / max(1, nb)))
    let scale = 1 / Float(c).squareRoot()
    FlopCounter.add(2 * Double(na) * Double(nb) * Double(c))
    let dst = SendablePointer(out.pointer)
    let bandStorage = workspace?.storage(atLeast: band * nb) ?? TensorStorage(capacity: band * nb)   // one buffer for every band
    defer { workspace?.recycle(bandStorage); workspace?.recycle(tokensA) }
    for start in stride(from: 0, to: na, by: band) {
        let rows = min(band, na - start)
        let rowsA = Tensor(storage: tokensA.storage, offset: tokensA.offset + start * c, shape: [rows, c])
        let corr = try matmul(rowsA, mapB, alpha: scale, into: Tensor(storage: bandStorage, offset: 0, shape: [rows, nb]))  // [rows, NB]
        let src = SendablePointer(corr.pointer)
        let chunks = min(rows, 4 * Threads.count)
        parallelFor(chunks) { chunk in
            let begin = chunk * rows / chunks, end = (chunk + 1) * rows / chunks
            var logits = [Float](repeating: 0, count: lowCount + 1)
            for r in begin..<end {
                let row = src.base + r * nb
                var best = 0
                var bestValue = row[0]
                for j in 1..<nb where row[j] > bestValue {   // the first maximum, as torch.argmax
                    best = j
                    bestValue = row[j]
                }
                for k in 0..<lowCount { logits[k] = row[lowIndex[k]] }
                logits[lowCount] = Float(best)
                var top = -Float.infinity
                for v in logits { top = max(top, v) }
                var sum: Float = 0
                for k in 0...lowCount {
                    logits[k] = expf(logits[k] - top)
                    sum += logits[k]
                }
                var x: Float = 0, y: Float = 0
                for k in 0..<lowCount {
                    let p = logits[k] / sum
                    x += p * lowX[k % (wb / down)]
                    y += p * lowY[k / (wb / down)]
                }
                let p = logits[lowCount] / sum
                x += p * gridX[best % wb]
                y += p * gridY[best / wb]
                dst[start + r] = x
                dst[na + start + r] = y
            }
        }
    }
    return out
}
