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

    /// Returns (anchor logits as tokens `hw × anchors`, certainty `1 × h × w`).
    func callAsFunction(posterior: FeatureMap, features: FeatureMap) -> (logits: Tokens, certainty: FeatureMap) {
        var x = FeatureMap.concatenate([posterior, features]).tokens
        for block in blocks { x = block(x) }
        let out = toOut(x)
        var logits = [Float](repeating: 0, count: out.count * anchors)
        var certainty = [Float](repeating: 0, count: out.count)
        for t in 0..<out.count {
            for j in 0..<anchors { logits[t * anchors + j] = out.data[t * out.dim + j] }
            certainty[t] = out.data[t * out.dim + anchors]
        }
        return (Tokens(count: out.count, dim: anchors, data: logits),
                FeatureMap(channels: 1, height: posterior.height, width: posterior.width, data: certainty))
    }
}

/// Anchor classification to a coordinate (the reference's `cls_to_flow_refine`):
/// softmax over the anchors, then the probability-weighted mean of the mode and
/// its four neighbours by index (mode ± 1, mode ± grid side, clamped to the
/// valid range, duplicates counted twice, as the reference does).
func anchorsToFlow(_ logits: Tokens, height: Int, width: Int) -> FeatureMap {
    let c = logits.dim, res = Int(Double(c).squareRoot().rounded())
    let g = normalisedCentres(res)
    var flow = FeatureMap(zeros: 2, height, width)
    let n = height * width
    precondition(logits.count == n)
    var probs = logits.data
    probs.withUnsafeMutableBufferPointer { softmaxRows($0.baseAddress!, rows: n, cols: c) }
    for p in 0..<n {
        let row = p * c
        var mode = 0
        var best = probs[row]
        for j in 1..<c where probs[row + j] > best { best = probs[row + j]; mode = j }
        var fx: Float = 0, fy: Float = 0, total: Float = 0
        for idx in [mode - 1, mode, mode + 1, mode - res, mode + res] {
            let k = min(max(idx, 0), c - 1)
            let w = probs[row + k]
            fx += w * g[k % res]
            fy += w * g[k / res]
            total += w
        }
        flow.data[p] = fx / total
        flow.data[n + p] = fy / total
    }
    return flow
}
