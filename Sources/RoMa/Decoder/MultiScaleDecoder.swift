import Foundation

/// Named intermediates, recorded only when a test asks for them.
final class Trace: @unchecked Sendable {
    private(set) var maps: [String: FeatureMap] = [:]
    private(set) var tokens: [String: Tokens] = [:]
    func record(_ name: String, _ map: FeatureMap) { maps[name] = map }
    func record(_ name: String, _ t: Tokens) { tokens[name] = t }
}

/// Flow and certainty logits at one scale.
struct ScaleEstimate: Sendable {
    var flow: FeatureMap
    var certainty: FeatureMap
}

/// The reference's `Decoder` for one matching direction: per-scale projections,
/// the GP + transformer match at stride 16 (coarse pass only), then the conv
/// refiners from coarse to fine, upsampling flow and certainty between scales.
struct MultiScaleDecoder: Sendable {
    let projections: [Int: Conv2d]
    let gp: GaussianProcessEmbedding
    let matchDecoder: MatchDecoder
    let refiners: [Int: ConvRefiner]

    init(_ r: LayerReader, architecture arch: RoMaArchitecture) throws {
        var projections: [Int: Conv2d] = [:]
        for (scale, (inC, outC)) in arch.projections {
            var conv = try r("proj")("\(scale)")("0").conv(out: outC, in: inC, kernel: 1)
            conv.fold(try r("proj")("\(scale)")("1").batchNorm(outC))
            projections[scale] = conv
        }
        self.projections = projections
        gp = try GaussianProcessEmbedding(r("gps")("16"), dim: arch.gpDim)
        matchDecoder = try MatchDecoder(r("embedding_decoder"), dim: arch.decoderDim, depth: arch.decoderBlocks,
                                        heads: arch.decoderHeads, anchorGrid: arch.anchorGrid)
        var refiners: [Int: ConvRefiner] = [:]
        for (scale, shape) in arch.refiners {
            refiners[scale] = try ConvRefiner(r("conv_refiner")("\(scale)"), shape: shape,
                                              hiddenBlocks: arch.refinerHiddenBlocks, kernel: arch.refinerKernel)
        }
        self.refiners = refiners
    }

    /// One image's encoder pyramid through the per-scale projections (the
    /// reference projects inside the loop; the result is the same and each image
    /// is projected once for both directions).
    func project(_ pyramid: [Int: FeatureMap]) -> [Int: FeatureMap] {
        var out: [Int: FeatureMap] = [:]
        for (scale, f) in pyramid {
            guard let p = projections[scale] else { continue }
            out[scale] = p(f)
        }
        return out
    }

    /// Runs the scales for query `a` against support `b` (projected pyramids).
    /// Without `seed` this is the coarse pass (16, 8, 4, 2, 1); with it, the
    /// upsampled pass (8, 4, 2, 1) starting from the coarse pass's finest estimate.
    func callAsFunction(_ a: [Int: FeatureMap], _ b: [Int: FeatureMap], seed: ScaleEstimate?, scaleFactor: Double,
                        trace: Trace? = nil, tag: String = "") throws -> [Int: ScaleEstimate] {
        let scales = seed == nil ? [16, 8, 4, 2, 1] : [8, 4, 2, 1]
        guard let finest = a[1] else { throw RoMaError("decoder needs the stride-1 features") }
        let (h, w) = (finest.height, finest.width)
        var results: [Int: ScaleEstimate] = [:]
        var flow: FeatureMap, certainty: FeatureMap
        if let seed {
            let top = a[scales[0]]!
            flow = resizeBilinear(seed.flow, height: top.height, width: top.width)
            certainty = resizeBilinear(seed.certainty, height: top.height, width: top.width)
        } else {
            flow = FeatureMap(zeros: 2, 1, 1)
            certainty = FeatureMap(zeros: 1, 1, 1)
        }
        for scale in scales {
            guard let fa = a[scale], let fb = b[scale] else { throw RoMaError("decoder is missing stride-\(scale) features") }
            if scale == 16 {
                let posterior = try StageClock.measure("gp") { try gp(fa, fb) }
                let (logits, cert) = StageClock.measure("match decoder") { matchDecoder(posterior: posterior, features: fa) }
                trace?.record("\(tag)gp_posterior", posterior)
                trace?.record("\(tag)cls_logits", logits)
                trace?.record("\(tag)gm_certainty", cert)
                flow = anchorsToFlow(logits, height: fa.height, width: fa.width)
                certainty = cert
            }
            if let refiner = refiners[scale] {
                trace?.record("\(tag)refiner.\(scale).flow_in", flow)
                let (delta, deltaCertainty) = StageClock.measure("refiner \(scale) at \(fa.width)") {
                    refiner(fa, fb, flow: flow, scaleFactor: scaleFactor)
                }
                trace?.record("\(tag)refiner.\(scale).delta_flow", delta)
                trace?.record("\(tag)refiner.\(scale).delta_certainty", deltaCertainty)
                // Refiner steps are in units of a quarter pixel at this scale, relative to the finest grid.
                let n = flow.planeSize, sx = Float(4 * w), sy = Float(4 * h), s = Float(scale)
                for i in 0..<n {
                    flow.data[i] += s * (delta.data[i] / sx)
                    flow.data[n + i] += s * (delta.data[n + i] / sy)
                    certainty.data[i] += deltaCertainty.data[i]
                }
            }
            results[scale] = ScaleEstimate(flow: flow, certainty: certainty)
            trace?.record("\(tag)flow.\(scale)", flow)
            trace?.record("\(tag)certainty.\(scale)", certainty)
            if scale != 1, let next = a[scale / 2] {
                flow = resizeBilinear(flow, height: next.height, width: next.width)
                certainty = resizeBilinear(certainty, height: next.height, width: next.width)
            }
        }
        return results
    }
}
