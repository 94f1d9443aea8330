import Checkpoint
import Artifacts
import Foundation
import NN
import Parallel

/// RoMa dense matcher: romatch 0.1.2's `RegressionMatcher.match` for two
/// decoded images (symmetric, coarse pass then upsampled pass).
public final class RoMaModel: @unchecked Sendable {
    public let config: RoMaConfig
    let dinov2: DINOv2Encoder
    let vgg: VGGPyramid
    let decoder: MultiScaleDecoder

    /// Called as `match` starts (`finished` false) and ends (true) each of its
    /// `steps` steps, e.g. for a progress display: a full-size match takes half a minute.
    public var progress: (@Sendable (_ step: String, _ finished: Bool) -> Void)?

    /// How many steps `match` reports: features of A and B and a decoder pass per
    /// direction for the coarse pass; for the upsampled one, features of A and B and one
    /// refinement step for both directions (they run scale by scale side by side).
    public var steps: Int {
        let directions = config.symmetric ? 2 : 1
        return 2 + directions + (config.upsample ? 3 : 0)
    }

    private func step<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        progress?(name, false)
        let result = try body()
        progress?(name, true)
        return result
    }

    /// Binds every parameter by its official key: RoMa's own under `encoder.cnn.`
    /// and `decoder.`, DINOv2's under `dinov2.` (see `CombinedWeights`).
    public init(weights: any WeightSource, config: RoMaConfig = .outdoor) throws {
        try config.validate()
        self.config = config
        let arch = config.architecture
        let root = LayerReader(weights)
        dinov2 = try DINOv2Encoder(root("dinov2"), shape: arch.vit, precision: config.precision)
        vgg = try VGGPyramid(root("encoder")("cnn")("layers"), widths: arch.vggWidths, precision: config.precision)
        decoder = try MultiScaleDecoder(root("decoder"), architecture: arch, precision: config.precision)
    }

    /// A model with another configuration of the same architecture, sharing this one's
    /// layers: a batch of pairs at several decoded sizes binds the weights once.
    public init(sharing other: RoMaModel, config: RoMaConfig) throws {
        try config.validate()
        guard config.architecture == other.config.architecture, config.precision == other.config.precision else {
            throw RoMaError("a model can only share the layers of one with the same architecture and precision")
        }
        self.config = config
        dinov2 = other.dinov2
        vgg = other.vgg
        decoder = other.decoder
    }

    /// Dense warps and certainties both ways, at `config.outputResolution`.
    /// With `cache`, each image's encoder outputs are looked up there by `ids` (the
    /// images' identities, e.g. their decoded files) and stored after computing.
    public func match(_ a: DecodedImage, _ b: DecodedImage, cache: EncoderCache? = nil, ids: (String, String)? = nil) throws -> Warp {
        try [a, b].forEach(checkSizes)
        let images = [a, b], keys = [ids?.0, ids?.1]
        // VGG's scratch activations (and its pyramid once projected), reused by A's and B's
        // VGG pass at one resolution and dropped after B's, so neither the other
        // resolution nor the refiners' peak memory holds them. Its large buffers go back to
        // the page pool as they die, where the projections and the next layers take them.
        var vggWorkspace: Workspace? = nil
        let out = try run { side, coarse in
            let image = images[side]
            if side == 0 { vggWorkspace = Workspace(keepsMappedBuffers: false) }
            let workspace = vggWorkspace
            if side == 1 { vggWorkspace = nil }
            let compute = { try self.encode(Self.normalise(coarse ? image.coarse : image.upsampled!), coarse: coarse,
                                            vggWorkspace: workspace) }
            guard let cache, let id = keys[side] else { return try compute() }
            return try cache.features(EncoderCache.Key(image: id, coarse: coarse, resolution: coarse ? self.config.coarseResolution : self.config.upsampleResolution),
                                      compute: compute)
        }
        return Warp(width: out.width, height: out.height, warpAB: out.warpAB, warpBA: out.warpBA,
                    certaintyAB: out.certaintyAB, certaintyBA: out.certaintyBA,
                    widthA: a.originalWidth, heightA: a.originalHeight, widthB: b.originalWidth, heightB: b.originalHeight)
            .withStoredCertainty()
    }

    func checkSizes(_ image: DecodedImage) throws {
        let name = image.sourcePath.isEmpty ? "decoded image" : image.sourcePath
        let (ch, cw) = config.coarseResolution
        guard image.coarse.height == ch, image.coarse.width == cw else {
            throw RoMaError("\(name): coarse input is \(image.coarse.width)x\(image.coarse.height), the model expects \(cw)x\(ch) (re-run `roma decode` with matching sizes)")
        }
        if config.upsample {
            let (uh, uw) = config.upsampleResolution
            guard let up = image.upsampled else {
                throw RoMaError("\(name): has no upsampled input; the model needs one at \(uw)x\(uh)")
            }
            guard up.height == uh, up.width == uw else {
                throw RoMaError("\(name): upsampled input is \(up.width)x\(up.height), the model expects \(uw)x\(uh)")
            }
        }
    }

    /// RGB bytes to the network input: `/255` then ImageNet mean/std, as the reference's test transform.
    /// → `[1, 3, H, W]`.
    static func normalise(_ p: DecodedImage.Pixels) -> Tensor {
        let (mean, std) = (ImageNet.mean, ImageNet.std)
        let n = p.width * p.height
        let x = Tensor(uninitialized: [1, 3, p.height, p.width])
        let d = SendablePointer(x.pointer)
        // On all threads: serial, the full-size images' 2.2 M pixels left a core idle.
        p.rgb.withUnsafeBufferPointer { rgb in
            let src = SendableConstPointer(rgb.baseAddress!)
            let grain = 1 << 15
            parallelFor((n + grain - 1) / grain) { chunk in
                for i in (chunk * grain)..<min(n, (chunk + 1) * grain) {
                    for c in 0..<3 { d[c * n + i] = (Float(src[i * 3 + c]) / 255 - mean[c]) / std[c] }
                }
            }
        }
        return x
    }

    /// One image's projected pyramid: VGG strides 1–8, plus DINOv2 at stride 16 on the coarse pass.
    func encode(_ image: Tensor, coarse: Bool, trace: Trace? = nil, tag: String = "",
                vggWorkspace: Workspace? = nil) throws -> [Int: Tensor] {
        // Each VGG level is projected as soon as VGG no longer reads it and, with a VGG
        // workspace and no trace, goes back to that workspace there and then: the next
        // stage's convolutions and the other image's pass reuse its pages.
        var projected: [Int: Tensor] = [:]
        let recycle = vggWorkspace != nil && trace == nil
        var pyramid = try StageClock.measure("vgg19") {
            try vgg(image, workspace: vggWorkspace) { stride, level in
                if let p = try self.decoder.project(scale: stride, level) { projected[stride] = p }
                return recycle
            }
        }
        if coarse {
            let tokens = try StageClock.measure("dinov2") { try dinov2(image) }
            pyramid[16] = tokens
            if let p = try decoder.project(scale: 16, tokens) { projected[16] = p }
        }
        if let trace { for (s, f) in pyramid { trace.record("\(tag)pyramid.\(s)", f) } }
        return projected
    }

    /// Encoder only on A's coarse input (for the benchmark's breakdown).
    public func profileEncoder(_ a: DecodedImage) throws -> Int {
        try encode(Self.normalise(a.coarse), coarse: true).count
    }

    struct Output {
        var width: Int, height: Int
        var warpAB: [Float], warpBA: [Float], certaintyAB: [Float], certaintyBA: [Float]
    }

    /// The matcher proper, asking `features(side, coarse)` for image A's (side 0) or B's
    /// (side 1) projected pyramid of the coarse or the upsampled pass, each when first needed
    /// (so a pair holds no more features at once than it must).
    func run(trace: Trace? = nil, features: (_ side: Int, _ coarse: Bool) throws -> [Int: Tensor]) throws -> Output {
        let (ch, cw) = config.coarseResolution
        // The reference's scale factors are relative to its training resolution, 560×560.
        let coarseFactor = (Double(ch * cw) / (560.0 * 560.0)).squareRoot()
        let pa = try step("coarse features A") { try features(0, true) }
        let pb = try step("coarse features B") { try features(1, true) }
        let directions = config.symmetric ? [(pa, pb), (pb, pa)] : [(pa, pb)]
        let names = ["A→B", "B→A"]
        var coarse = try directions.enumerated().map { i, d in
            try step("coarse match \(names[i])") {
                try decoder(d.0, d.1, seed: nil, scaleFactor: coarseFactor, trace: trace, tag: "coarse.\(i).")
            }
        }
        var finest = coarse.map { $0[1]! }
        let (oh, ow) = config.outputResolution
        if config.upsample {
            let (uh, uw) = config.upsampleResolution
            let fineFactor = (Double(uh * uw) / (560.0 * 560.0)).squareRoot()
            var fa = try step("fine features A") { try features(0, false) }
            var fb = try step("fine features B") { try features(1, false) }
            // Both directions go scale by scale side by side, and each scale's features are
            // dropped once both are past it: the refiners at strides 2 and 1 no longer hold the
            // stride-8 and stride-4 maps, so fewer fresh pages are faulted in and cleared
            // (docs/runtime.md, "Fresh pages are the live set's peak").
            try step("refinement \(names.prefix(finest.count).joined(separator: ", "))") {
                var passes = try finest.indices.map { i in
                    try decoder.start(i == 0 ? fa : fb, seed: finest[i], scaleFactor: fineFactor, trace: trace, tag: "fine.\(i).")
                }
                for scale in passes[0].scales {
                    for i in passes.indices {
                        try i == 0 ? decoder.advance(&passes[i], fa, fb) : decoder.advance(&passes[i], fb, fa)
                    }
                    fa[scale] = nil
                    fb[scale] = nil
                }
                finest = passes.map { $0.results[1]! }
            }
        }
        var warps: [[Float]] = [], certainties: [[Float]] = []
        for (i, estimate) in finest.enumerated() {
            let lowRes = config.attenuateCertainty ? try interpolateBilinear(coarse[i][16]!.certainty, size: (oh, ow)) : nil
            let (w, c) = Self.finalise(estimate, attenuation: lowRes)
            warps.append(w)
            certainties.append(c)
        }
        coarse = []
        if !config.symmetric {
            // B→A was not asked for: an empty direction (zero warp, zero certainty).
            warps.append([Float](repeating: 0, count: oh * ow * 2))
            certainties.append([Float](repeating: 0, count: oh * ow))
        }
        return Output(width: ow, height: oh, warpAB: warps[0], warpBA: warps[1], certaintyAB: certainties[0], certaintyBA: certainties[1])
    }

    /// Certainty attenuation, sigmoid, out-of-range masking and clamping, as the
    /// end of the reference's `match`; returns `h × w × 2` warp and `h × w` certainty.
    static func finalise(_ e: ScaleEstimate, attenuation: Tensor?) -> ([Float], [Float]) {
        let n = e.flow.height * e.flow.width
        let flow = SendablePointer(e.flow.pointer), logits = SendablePointer(e.certainty.pointer)
        let low = attenuation.map { SendablePointer($0.pointer) }
        var warp = [Float](repeating: 0, count: 2 * n), certainty = [Float](repeating: 0, count: n)
        // On all threads: serial, the 864² pixels' exponentials left a core idle.
        warp.withUnsafeMutableBufferPointer { wb in
            certainty.withUnsafeMutableBufferPointer { cb in
                let w = SendablePointer(wb.baseAddress!), cp = SendablePointer(cb.baseAddress!)
                let grain = 1 << 14
                parallelFor((n + grain - 1) / grain) { chunk in
                    for i in (chunk * grain)..<min(n, (chunk + 1) * grain) {
                        var logit = logits[i]
                        if let low = low?[i], low < 0 { logit -= 0.5 * low }
                        var p = 1 / (1 + exp(-logit))
                        let x = flow[i], y = flow[n + i]
                        if abs(x) > 1 || abs(y) > 1 { p = 0 }
                        w[2 * i] = min(max(x, -1), 1)
                        w[2 * i + 1] = min(max(y, -1), 1)
                        cp[i] = p
                    }
                }
            }
        }
        return (warp, certainty)
    }
}
