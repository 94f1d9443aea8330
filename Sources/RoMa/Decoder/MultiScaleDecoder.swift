import Foundation
import NN
import Parallel

/// Named intermediates, recorded only when a test asks for them.
final class Trace: @unchecked Sendable {
    private(set) var tensors: [String: Tensor] = [:]
    /// Keeps a copy: the decoder updates flow and certainty in place.
    func record(_ name: String, _ t: Tensor) { tensors[name] = t.copy() }
}

/// Flow and certainty logits at one scale.
struct ScaleEstimate: Sendable {
    /// `[1, 2, h, w]`, normalised (x, y) in the other image.
    var flow: Tensor
    /// `[1, 1, h, w]` logits.
    var certainty: Tensor
}

/// The reference's `Decoder` for one matching direction: per-scale projections,
/// the GP + transformer match at stride 16 (coarse pass only), then the conv
/// refiners from coarse to fine, upsampling flow and certainty between scales.
struct MultiScaleDecoder: Sendable {
    let projections: [Int: Conv2d]
    let gp: GaussianProcessEmbedding
    let matchDecoder: MatchDecoder
    let refiners: [Int: ConvRefiner]

    /// `precision` applies to the projections and the refiners; the GP and the match
    /// decoder stay fp32 (docs/runtime.md, "Precision").
    init(_ r: LayerReader, architecture arch: RoMaArchitecture, precision: Precision = .fp32) throws {
        var projections: [Int: Conv2d] = [:]
        for (scale, (inC, outC)) in arch.projections {
            var conv = try r("proj")("\(scale)")("0").conv(out: outC, in: inC, kernel: 1)
            conv.precision = precision
            try conv.fold(try r("proj")("\(scale)")("1").batchNorm(outC))
            projections[scale] = conv
        }
        self.projections = projections
        gp = try GaussianProcessEmbedding(r("gps")("16"), dim: arch.gpDim)
        matchDecoder = try MatchDecoder(r("embedding_decoder"), dim: arch.decoderDim, depth: arch.decoderBlocks,
                                        heads: arch.decoderHeads, anchorGrid: arch.anchorGrid)
        var refiners: [Int: ConvRefiner] = [:]
        for (scale, shape) in arch.refiners {
            refiners[scale] = try ConvRefiner(r("conv_refiner")("\(scale)"), shape: shape,
                                              hiddenBlocks: arch.refinerHiddenBlocks, kernel: arch.refinerKernel, precision: precision)
        }
        self.refiners = refiners
    }

    /// One image's encoder pyramid through the per-scale projections (the
    /// reference projects inside the loop; the result is the same and each image
    /// is projected once for both directions).
    func project(_ pyramid: [Int: Tensor]) throws -> [Int: Tensor] {
        var out: [Int: Tensor] = [:]
        for (scale, f) in pyramid { out[scale] = try project(scale: scale, f) }
        return out
    }

    /// One level through its scale's projection; nil for a scale without one.
    func project(scale: Int, _ features: Tensor) throws -> Tensor? {
        guard let p = projections[scale] else { return nil }
        return try StageClock.measure("projections") { try StageClock.measure("projection \(scale)") { try p(features) } }
    }

    /// Runs the scales for query `a` against support `b` (projected pyramids).
    /// Without `seed` this is the coarse pass (16, 8, 4, 2, 1); with it, the
    /// upsampled pass (8, 4, 2, 1) starting from the coarse pass's finest estimate.
    func callAsFunction(_ a: [Int: Tensor], _ b: [Int: Tensor], seed: ScaleEstimate?, scaleFactor: Double,
                        trace: Trace? = nil, tag: String = "") throws -> [Int: ScaleEstimate] {
        var pass = try start(a, seed: seed, scaleFactor: scaleFactor, trace: trace, tag: tag)
        while !pass.done { try advance(&pass, a, b) }
        return pass.results
    }

    /// One direction's way through the scales, a scale per `advance`: two directions can go
    /// scale by scale side by side, so each scale's features can be freed once both are past it.
    struct Pass {
        let scales: [Int]
        var next = 0
        var flow: Tensor, certainty: Tensor
        var results: [Int: ScaleEstimate] = [:]
        /// The finest grid (stride 1), which the refiners' steps are relative to.
        let height: Int, width: Int
        let scaleFactor: Double
        let trace: Trace?, tag: String
        var done: Bool { next == scales.count }
    }

    /// A pass for query `a` (its pyramid's grids; `callAsFunction` describes `seed`).
    func start(_ a: [Int: Tensor], seed: ScaleEstimate?, scaleFactor: Double, trace: Trace? = nil, tag: String = "") throws -> Pass {
        let scales = seed == nil ? [16, 8, 4, 2, 1] : [8, 4, 2, 1]
        guard let finest = a[1] else { throw RoMaError("decoder needs the stride-1 features") }
        let flow: Tensor, certainty: Tensor
        if let seed {
            guard let top = a[scales[0]] else { throw RoMaError("decoder is missing stride-\(scales[0]) features") }
            flow = try resized(seed.flow, like: top)
            certainty = try resized(seed.certainty, like: top)
        } else {
            flow = Tensor(zeros: [1, 2, 1, 1])
            certainty = Tensor(zeros: [1, 1, 1, 1])
        }
        return Pass(scales: scales, flow: flow, certainty: certainty, height: finest.height, width: finest.width,
                    scaleFactor: scaleFactor, trace: trace, tag: tag)
    }

    /// Runs `pass`'s next scale on `a`'s and `b`'s features at that scale (and `a`'s grid at
    /// the scale after it, which the estimate is resized onto).
    func advance(_ pass: inout Pass, _ a: [Int: Tensor], _ b: [Int: Tensor]) throws {
        let scale = pass.scales[pass.next]
        let (h, w, scaleFactor, trace, tag) = (pass.height, pass.width, pass.scaleFactor, pass.trace, pass.tag)
        var flow = pass.flow, certainty = pass.certainty
        pass.next += 1
        guard let fa = a[scale], let fb = b[scale] else { throw RoMaError("decoder is missing stride-\(scale) features") }
        if scale == 16 {
            let posterior = try StageClock.measure("gp") { try gp(fa, fb) }
            let (logits, cert) = try StageClock.measure("match decoder") { try matchDecoder(posterior: posterior, features: fa) }
            trace?.record("\(tag)gp_posterior", posterior)
            trace?.record("\(tag)cls_logits", logits)
            trace?.record("\(tag)gm_certainty", cert)
            flow = try anchorsToFlow(logits, height: fa.height, width: fa.width)
            certainty = cert
        }
        if let refiner = refiners[scale] {
            trace?.record("\(tag)refiner.\(scale).flow_in", flow)
            let (delta, deltaCertainty) = try StageClock.measure("refiner \(scale) at \(fa.width)") {
                try refiner(fa, fb, flow: flow, scaleFactor: scaleFactor)
            }
            trace?.record("\(tag)refiner.\(scale).delta_flow", delta)
            trace?.record("\(tag)refiner.\(scale).delta_certainty", deltaCertainty)
            // Refiner steps are in units of a quarter pixel at this scale, relative to the finest grid.
            let n = flow.height * flow.width, sx = Float(4 * w), sy = Float(4 * h), s = Float(scale)
            let (oldFlow, oldCertainty) = (flow, certainty)
            flow = Tensor(uninitialized: oldFlow.shape)
            certainty = Tensor(uninitialized: oldCertainty.shape)
            let f0 = SendablePointer(oldFlow.pointer), c0 = SendablePointer(oldCertainty.pointer)
            let f = SendablePointer(flow.pointer), c = SendablePointer(certainty.pointer)
            let df = SendablePointer(delta.pointer), dc = SendablePointer(deltaCertainty.pointer)
            let grain = 1 << 15
            parallelFor((n + grain - 1) / grain) { chunk in
                for i in (chunk * grain)..<min(n, (chunk + 1) * grain) {
                    f[i] = f0[i] + s * (df[i] / sx)
                    f[n + i] = f0[n + i] + s * (df[n + i] / sy)
                    c[i] = c0[i] + dc[i]
                }
            }
        }
        pass.results[scale] = ScaleEstimate(flow: flow, certainty: certainty)
        trace?.record("\(tag)flow.\(scale)", flow)
        trace?.record("\(tag)certainty.\(scale)", certainty)
        if scale != 1, let next = a[scale / 2] {
            flow = try resized(flow, like: next)
            certainty = try resized(certainty, like: next)
        }
        pass.flow = flow
        pass.certainty = certainty
    }

    /// Bilinear resize (`align_corners=False`) onto `target`'s grid.
    private func resized(_ x: Tensor, like target: Tensor) throws -> Tensor {
        try interpolateBilinear(x, size: (target.height, target.width))
    }
}
