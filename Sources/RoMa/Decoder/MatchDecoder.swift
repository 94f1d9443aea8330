import NN
import Parallel

/// The coarse match decoder (the reference's `TransformerDecoder`, classifier
/// form, no positional encoding): tokens are the GP posterior and A's projected
/// features side by side; outputs per token logits over the anchor grid and a
/// certainty logit.
struct MatchDecoder: Sendable {
    let blocks: [TransformerBlock]
    let toOut: Linear
    let anchors: Int

    init(_ r: LayerReader, dim: Int, depth: Int, heads: Int, anchorGrid: Int) throws {
        blocks = try (0..<depth).map {
            try TransformerBlock(r("blocks")("\($0)"), dim: dim, heads: heads, qkvBias: false, layerScale: false, eps: 1e-5)
        }
        anchors = anchorGrid * anchorGrid
        toOut = try r("to_out").linear(out: anchors + 1, in: dim)
    }

    /// Returns (anchor logits as tokens `[1, h·w, anchors]`, certainty `[1, 1, h, w]`).
    func callAsFunction(posterior: Tensor, features: Tensor) throws -> (logits: Tensor, certainty: Tensor) {
        var x = try tokens(concat([posterior, features], dim: 1))
        let workspace = Workspace()
        for block in blocks { x = try block(x, workspace: workspace) }
        let out = try toOut(x)
        let logits = try narrow(out, dim: 2, start: 0, length: anchors)
        let certainty = try narrow(out, dim: 2, start: anchors, length: 1)
            .reshaped([1, 1, posterior.height, posterior.width])
        return (logits, certainty)
    }
}

/// Anchor classification to a coordinate (the reference's `cls_to_flow_refine`):
/// softmax over the anchors, then the probability-weighted mean of the mode and
/// its four neighbours by index (mode ± 1, mode ± grid side, clamped to the
/// valid range, duplicates counted twice, as the reference does). → `[1, 2, h, w]`.
func anchorsToFlow(_ logits: Tensor, height: Int, width: Int) throws -> Tensor {
    let c = logits.dim(-1), res = Int(Double(c).squareRoot().rounded())
    let n = height * width
    guard logits.count == n * c else { throw RoMaError("anchor logits \(logits.shape) do not fill a \(height)x\(width) grid") }
    let g = normalisedCentres(res)
    let flow = Tensor(zeros: [1, 2, height, width])
    let probs = try softmax(logits)
    let pr = SendablePointer(probs.pointer), f = SendablePointer(flow.pointer)
    // Rows on all threads (each pixel's argmax over c anchors is independent; serial, it left a core idle).
    parallelFor(n) { p in
        let row = pr.base + p * c
        var mode = 0
        var best = row[0]
        for j in 1..<c where row[j] > best { best = row[j]; mode = j }
        var fx: Float = 0, fy: Float = 0, total: Float = 0
        for idx in [mode - 1, mode, mode + 1, mode - res, mode + res] {
            let k = min(max(idx, 0), c - 1)
            let w = row[k]
            fx += w * g[k % res]
            fy += w * g[k / res]
            total += w
        }
        f[p] = fx / total
        f[n + p] = fy / total
    }
    return flow
}
