import NN
import Parallel

/// One of RoMa v2's refiners (romav2's `ConvRefiner`, block type "roma", batch
/// norm), at eval in fp32. Unlike v1's refiner it projects both images' features
/// with a shared Linear first, samples B's projected features at the warp,
/// correlates the projected features, and predicts a 4-channel confidence
/// (overlap logit + a 2×2 precision matrix through its Cholesky factor).
///
/// `.bf16`: romav2's autocast around each block (active on CPU): the depthwise and
/// pointwise convolutions are autocast's bf16 ops, the batch norm (kept apart from the
/// convolution) and ReLU return bf16; proj, displacement embedding, grid sample, local
/// correlation and the heads stay fp32 (romav2 calls `z.float()` before the heads).
struct RoMaV2Refiner: Sendable {
    /// Depthwise k×k, batch norm folded in (kept apart at bf16), ReLU fused; then 1×1.
    typealias Block = RefinerBlock

    let shape: RoMaV2RefinerShape
    let proj: Linear
    let blocks: [Block]
    let displacementEmbedding: Conv2d
    let warpHead: Conv2d
    let confidenceHead: Conv2d

    /// Weights under `r` (e.g. `refiners.4.`), romav2's names.
    init(_ r: LayerReader, shape: RoMaV2RefinerShape, precision: Precision = .fp32) throws {
        self.shape = shape
        let d = shape.hiddenDim, k = shape.kernel
        func block(_ b: LayerReader) throws -> Block {
            var dw = try b("conv_depthwise").conv(out: d, in: d, kernel: k, padding: k / 2, groups: d)
            dw.precision = precision   // before fold: at bf16 the batch norm stays apart
            try dw.fold(try b("norm").batchNorm(d))
            dw.fusedReLU = true
            try dw.useTorchOrderBF16()   // romav2's reference sums as torch's oneDNN
            var pw = try b("conv_pointwise").conv(out: d, in: d, kernel: 1)
            pw.precision = precision
            try pw.useTorchOrderBF16()
            return Block(depthwise: dw, pointwise: pw)
        }
        proj = try r("proj").linear(out: shape.projDim, in: shape.featureDim)
        blocks = try [block(r("block1"))] + (0..<shape.hiddenBlocks).map { try block(r("hidden_blocks")("\($0)")) }
        displacementEmbedding = try r("disp_emb").conv(out: shape.displacementDim, in: 2, kernel: 1)
        warpHead = try r("warp_head").conv(out: shape.warpDim, in: d, kernel: 1)
        confidenceHead = try r("confidence_head").conv(out: shape.confidenceDim, in: d, kernel: 1)
    }

    /// featuresA, featuresB `[1, h, w, featureDim]`; warp `[1, h, w, 2]` (normalised
    /// coordinates in B) and confidence `[1, h, w, 1 or confidenceDim]` (nil: none),
    /// both already at this stride (`interpolateWarpAndConfidence`); scaleFactor =
    /// (W / anchorWidth, H / anchorHeight) of the images, as romav2.
    /// → refined warp `[1, h, w, 2]` and confidence `[1, h, w, confidenceDim]`.
    func callAsFunction(featuresA: Tensor, featuresB: Tensor, warp: Tensor, confidence: Tensor?,
                        scaleFactor: (Float, Float)) throws -> (warp: Tensor, confidence: Tensor) {
        let f = shape.featureDim
        guard featuresA.rank == 4, featuresA.shape[0] == 1, featuresA.shape[3] == f, featuresB.shape == featuresA.shape else {
            throw RoMaError("RoMa v2 refiner: features must both be [1, h, w, \(f)], got \(featuresA.shape) and \(featuresB.shape)")
        }
        let (h, w) = (featuresA.shape[1], featuresA.shape[2]), n = h * w
        guard warp.shape == [1, h, w, 2] else { throw RoMaError("RoMa v2 refiner: warp must be [1, \(h), \(w), 2], got \(warp.shape)") }
        if let c = confidence, c.rank != 4 || Array(c.shape[0..<3]) != [1, h, w] || (c.shape[3] != 1 && c.shape[3] != shape.confidenceDim) {
            throw RoMaError("RoMa v2 refiner: confidence must be [1, \(h), \(w), 1 or \(shape.confidenceDim)], got \(c.shape)")
        }
        let p = shape.projDim
        func projected(_ x: Tensor) throws -> Tensor {
            try permute(try proj(try x.reshaped([1, n, f])).reshaped([1, h, w, p]), [0, 3, 1, 2])
        }
        let a = try StageClock.measure("v2 refiner: proj") { try projected(featuresA) }
        let b = try StageClock.measure("v2 refiner: proj") { try projected(featuresB) }
        let sampled = try StageClock.measure("v2 refiner: grid sample") { try gridSample(b, grid: warp) }
        let warpMap = try permute(warp, [0, 3, 1, 2])

        // (warp − grid) · scale_factor per coordinate, in float32 as the reference.
        let xs = normalisedCentres(w), ys = normalisedCentres(h)
        let displacement = Tensor(uninitialized: [1, 2, h, w])
        let wp = warpMap.pointer, dp = displacement.pointer
        for y in 0..<h {
            for x in 0..<w {
                dp[y * w + x] = scaleFactor.0 * (wp[y * w + x] - xs[x])
                dp[n + y * w + x] = scaleFactor.1 * (wp[n + y * w + x] - ys[y])
            }
        }
        var parts = [a, sampled, try displacementEmbedding(displacement)]
        if let r = shape.corrRadius {
            parts.append(try StageClock.measure("v2 refiner: local correlation") { try localCorrelation(a, b, warp: warpMap, radius: r) })
        }
        var d = try concat(parts, dim: 1)
        parts = []
        guard d.channels == shape.hiddenDim else { throw RoMaError("RoMa v2 refiner input has \(d.channels) channels, expected \(shape.hiddenDim)") }
        d = try RefinerBlock.run(blocks, d, stage: "v2 refiner")
        let delta = try warpHead(d), deltaConfidence = try confidenceHead(d)
        return (try refinedWarp(warp, delta: delta), try refinedConfidence(confidence, delta: deltaConfidence))
    }

    /// prev + Δ / (refineInit · (w, h)), channels-last.
    private func refinedWarp(_ warp: Tensor, delta: Tensor) throws -> Tensor {
        let (h, w) = (delta.height, delta.width), n = h * w
        let out = Tensor(uninitialized: warp.shape)
        let divisor = (shape.refineInit * Float(w), shape.refineInit * Float(h))
        let src = warp.pointer, dl = delta.pointer, dst = out.pointer
        for i in 0..<n {
            dst[2 * i] = src[2 * i] + dl[i] / divisor.0
            dst[2 * i + 1] = src[2 * i + 1] + dl[n + i] / divisor.1
        }
        return out
    }

    /// A 4-channel head predicts (overlap logit, L₀₀, L₁₀, L₁₁) with softplus on the
    /// diagonal (+1e-6) and becomes (logit, P₀₀, P₁₀, P₁₁) of P = L·Lᵀ; then added to the
    /// previous confidence, a 1-channel one (the matcher's overlap) to the logit only.
    private func refinedConfidence(_ previous: Tensor?, delta: Tensor) throws -> Tensor {
        let c = delta.channels, n = delta.height * delta.width
        let out = Tensor(uninitialized: [1, delta.height, delta.width, c])
        let dl = delta.pointer, dst = out.pointer
        let cholEps: Float = 1e-6
        for i in 0..<n {
            if c == 4 {
                let l00 = softplus(dl[n + i]) + cholEps
                let l10 = dl[2 * n + i]
                let l11 = softplus(dl[3 * n + i]) + cholEps
                dst[4 * i] = dl[i]
                dst[4 * i + 1] = l00 * l00
                dst[4 * i + 2] = l00 * l10
                dst[4 * i + 3] = l10 * l10 + l11 * l11
            } else {
                for k in 0..<c { dst[c * i + k] = dl[k * n + i] }
            }
        }
        guard let previous else { return out }
        let pc = previous.shape[3], prev = previous.pointer
        for i in 0..<n {
            for k in 0..<min(pc, c) { dst[c * i + k] += prev[pc * i + k] }
        }
        return out
    }
}
