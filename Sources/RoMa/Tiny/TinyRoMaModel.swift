import Artifacts
import Checkpoint
import Foundation
import NN

/// Widths of Tiny RoMa's two matchers. `official` is romatch 0.1.2's `TinyRoMa`;
/// the tests build a narrower coarse matcher (its fixture stays small).
public struct TinyRoMaArchitecture: Sendable, Equatable {
    public var coarseWidth: Int
    public var fineWidth: Int
    public init(coarseWidth: Int = 256, fineWidth: Int = 64) {
        self.coarseWidth = coarseWidth
        self.fineWidth = fineWidth
    }
    public static let official = TinyRoMaArchitecture()
}

/// Tiny RoMa v1 (romatch 0.1.2 `romatch/models/tiny.py`, `TinyRoMa` as
/// `tiny_roma_v1_outdoor` builds it): XFeat features at strides 4 and 8, a coarse
/// match by global correlation (`globalMatch`), a convolutional coarse matcher
/// refining it at stride 8 and a fine one at stride 4, then `match`'s bilinear
/// upsampling to A's input size and sigmoid. A→B only: the reference's `match`
/// is not symmetric. Unlike RoMa's, the warp is neither clamped nor masked.
public final class TinyRoMaModel: @unchecked Sendable {
    public let architecture: TinyRoMaArchitecture
    let xfeat: XFeatBackbone
    let coarseMatcher: [BasicLayer]
    let coarseOut: Conv2d
    let fineMatcher: [BasicLayer]
    let fineOut: Conv2d

    /// Binds every parameter by its official key in `tiny_roma_v1_outdoor.pth`:
    /// `coarse_matcher.*`, `fine_matcher.*` and XFeat's under `xfeat.0.`.
    public convenience init(weights: TinyWeights) throws {
        try self.init(weights: weights, architecture: weights.architecture)
    }

    public init(weights: any WeightSource, architecture: TinyRoMaArchitecture = .official) throws {
        self.architecture = architecture
        let root = LayerReader(weights)
        xfeat = try XFeatBackbone(root("xfeat")("0"))
        let (c, f) = (architecture.coarseWidth, architecture.fineWidth)
        coarseMatcher = try root("coarse_matcher").basicLayers([(64 + 64 + 2, c, 3, 1), (c, c, 3, 1), (c, c, 3, 1), (c, c, 3, 1)])
        coarseOut = try root("coarse_matcher")("4").conv(out: 3, in: c, kernel: 1)
        fineMatcher = try root("fine_matcher").basicLayers([(24 + 24 + 2, f, 3, 1), (f, f, 3, 1), (f, f, 3, 1), (f, f, 3, 1)])
        fineOut = try root("fine_matcher")("4").conv(out: 3, in: f, kernel: 1)
    }

    /// Flow and certainty logit at one scale, `[1, 3, h, w]` (x, y normalised to B; logit).
    struct Estimate {
        var coarseWarp: Tensor
        var coarse: Tensor
        var fine: Tensor
    }

    /// The dense warp A→B at A's decoded size (`coarse` pixels; `roma decode --preset tiny`
    /// keeps the source image's size, as the reference takes it), and zero B→A.
    public func match(_ a: DecodedImage, _ b: DecodedImage) throws -> Warp {
        let (ha, wa) = (a.coarse.height, a.coarse.width)
        let (flow, certainty) = try match(Self.image(a), Self.image(b))
        let n = ha * wa
        return Warp(width: wa, height: ha, warpAB: flow, warpBA: [Float](repeating: 0, count: 2 * n),
                    certaintyAB: certainty, certaintyBA: [Float](repeating: 0, count: n),
                    widthA: a.originalWidth, heightA: a.originalHeight, widthB: b.originalWidth, heightB: b.originalHeight)
    }

    /// `TinyRoMa.match` on `[1, 3, H, W]` images in [0, 1] (ToTensor's u / 255):
    /// `H × W × 2` flow (the warp's B half) and `H × W` certainty.
    func match(_ imageA: Tensor, _ imageB: Tensor) throws -> (flow: [Float], certainty: [Float]) {
        let (h, w) = (imageA.height, imageA.width)
        let fine = try forward(imageA, imageB).fine
        let up = try interpolateBilinear(fine, size: (h, w))
        let n = h * w
        let p = up.pointer
        var flow = [Float](repeating: 0, count: 2 * n), certainty = [Float](repeating: 0, count: n)
        for i in 0..<n {
            flow[2 * i] = p[i]
            flow[2 * i + 1] = p[n + i]
            certainty[i] = 1 / (1 + expf(-p[2 * n + i]))
        }
        return (flow, certainty)
    }

    /// `TinyRoMa.forward`: sizes rounded down to multiples of 32, XFeat on each image,
    /// the coarse match and its refinement at stride 8, the fine refinement at stride 4.
    /// Buffers come from one workspace per call (fresh pages for every layer cost more
    /// in page faults than the layers' arithmetic).
    func forward(_ imageA: Tensor, _ imageB: Tensor) throws -> Estimate {
        let ws = Workspace()
        let a = try Self.preprocess(imageA), b = try Self.preprocess(imageB)
        let fa = try StageClock.measure("xfeat") { try xfeat(a, workspace: ws) }
        let fb = try StageClock.measure("xfeat") { try xfeat(b, workspace: ws) }
        // to_normalized: pixel steps of the matchers' Δ into B's normalised coordinates.
        let steps: [Float] = [Float(2 / Double(b.width)), Float(2 / Double(b.height)), 1]
        let coarseWarp = try StageClock.measure("global match") { try globalMatch(fa.coarse, fb.coarse, workspace: ws) }
        let coarse = try StageClock.measure("coarse matcher") {
            let base = try concat([coarseWarp, Tensor(zeros: [1, 1, coarseWarp.height, coarseWarp.width])], dim: 1)
            return try refine(base, coarseMatcher, coarseOut, featuresA: fa.coarse, featuresB: fb.coarse, steps: steps, workspace: ws)
        }
        let fine = try StageClock.measure("fine matcher") {
            let up = try interpolateBilinear(coarse, size: (fa.fine.height, fa.fine.width))
            return try refine(up, fineMatcher, fineOut, featuresA: fa.fine, featuresB: fb.fine, steps: steps, workspace: ws)
        }
        return Estimate(coarseWarp: coarseWarp, coarse: coarse, fine: fine)
    }

    /// One matcher: B's features sampled at `base`'s flow, [f_A, sampled f_B, flow] through
    /// the `BasicLayer`s and the 1×1 output, then `base + Δ·steps`.
    func refine(_ base: Tensor, _ layers: [BasicLayer], _ output: Conv2d, featuresA: Tensor, featuresB: Tensor,
                steps: [Float], workspace ws: Workspace) throws -> Tensor {
        let flow = try narrow(base, dim: 1, start: 0, length: 2)
        let warpedB = try gridSample(featuresB, grid: try permute(flow, [0, 2, 3, 1]), workspace: ws)
        let input = try concat([featuresA, warpedB, flow], dim: 1, workspace: ws)
        ws.recycle(warpedB)
        let hidden = try sequence(layers, input, workspace: ws, consuming: true)
        let delta = try output(hidden, workspace: ws)
        ws.recycle(hidden)
        return try Self.step(base, delta, steps)
    }

    /// base + Δ·steps per channel (the reference's `matches + delta * to_normalized`).
    static func step(_ base: Tensor, _ delta: Tensor, _ steps: [Float]) throws -> Tensor {
        let out = Tensor(uninitialized: base.shape)
        let plane = base.height * base.width
        for ch in 0..<3 {
            let b = base.pointer + ch * plane, d = delta.pointer + ch * plane, o = out.pointer + ch * plane
            for i in 0..<plane { o[i] = b[i] + d[i] * steps[ch] }
        }
        return out
    }

    /// `preprocess_tensor`: bilinear resize (align_corners=False, no antialiasing) to
    /// the largest multiples of 32 not above the input size; the identity when it already is one.
    static func preprocess(_ image: Tensor) throws -> Tensor {
        let (h, w) = ((image.height / 32) * 32, (image.width / 32) * 32)
        guard h > 0, w > 0 else {
            throw RoMaError("image of \(image.width)x\(image.height) is smaller than Tiny RoMa's 32x32 minimum")
        }
        return try interpolateBilinear(image, size: (h, w))
    }

    /// A decoded image's pixels as torchvision's ToTensor gives them: `[1, 3, H, W]`, u / 255.
    static func image(_ d: DecodedImage) -> Tensor {
        let (h, w) = (d.coarse.height, d.coarse.width)
        let t = Tensor(uninitialized: [1, 3, h, w])
        let rgb = d.coarse.rgb, p = t.pointer
        for i in 0..<(h * w) {
            for ch in 0..<3 { p[ch * h * w + i] = Float(rgb[3 * i + ch]) / 255 }
        }
        return t
    }
}
