import Artifacts
import Checkpoint
import Foundation
import NN

/// Widths of RoMa v2's modules. `official` is romav2 2.0.1's `RoMaV2.Cfg()`; the tests'
/// reduced model has the same architecture at smaller widths (built from the module
/// shapes, which stay internal to the module).
public struct RoMaV2Architecture: Sendable, Equatable {
    var descriptor: DINOv3Shape
    var matcher: RoMaV2MatcherShape
    /// VGG19-BN block widths at strides 1, 2, 4.
    var fineFeatureWidths: [Int]
    /// Refiner shapes by stride (romav2 runs them in `refinerStrides` order).
    var refiners: [Int: RoMaV2RefinerShape]
    /// `RoMaV2.Cfg.anchor_width/height`: the refiners' scale factor is (W / anchor_width, H / anchor_height).
    var anchorWidth = 512
    var anchorHeight = 512

    /// romav2's "roma-4-pow2": coarse to fine.
    static let refinerStrides = [4, 2, 1]

    init(descriptor: DINOv3Shape, matcher: RoMaV2MatcherShape, fineFeatureWidths: [Int], refiners: [Int: RoMaV2RefinerShape]) {
        (self.descriptor, self.matcher, self.fineFeatureWidths, self.refiners) = (descriptor, matcher, fineFeatureWidths, refiners)
    }

    public static let official = RoMaV2Architecture(
        descriptor: .vitl16, matcher: .romav2, fineFeatureWidths: RoMaV2FineFeatures.fullWidths,
        refiners: Dictionary(uniqueKeysWithValues: RoMaV2RefinerShape.full.map { ($0.stride, $0.shape) }))
}

/// What RoMa v2's `match` returns for a pair, on the last pass's grid (A's pixels; B
/// is resized to the same size): warps in normalised coordinates, overlap after the
/// sigmoid, the 2×2 precision matrix per pixel. The B→A fields are nil when the setting
/// is not bidirectional. romav2's `_map_confidence` then sets overlaps above the setting's
/// threshold to 1; that is kept apart (`overlapThreshold`, as roma.warp/3 records it) and
/// applied by the sampler, so the overlap stays the model's own.
public struct RoMaV2Output: Sendable {
    public var width: Int
    public var height: Int
    /// `height × width × 2`.
    public var warpAB: [Float]
    /// `height × width`.
    public var overlapAB: [Float]
    /// `height × width × 2 × 2`, row-major per pixel.
    public var precisionAB: [Float]
    public var warpBA: [Float]?
    public var overlapBA: [Float]?
    public var precisionBA: [Float]?
    public var overlapThreshold: Float?

    /// As `roma.warp/3`, with both images' original sizes and the threshold (applied by the sampler).
    public func precisionWarp(_ a: DecodedImage, _ b: DecodedImage) -> PrecisionWarp {
        var ba: PrecisionWarp.Direction?
        if let warpBA, let overlapBA, let precisionBA { ba = .init(warp: warpBA, overlap: overlapBA, precision: precisionBA) }
        return PrecisionWarp(width: width, height: height, ab: .init(warp: warpAB, overlap: overlapAB, precision: precisionAB), ba: ba,
                             widthA: a.originalWidth, heightA: a.originalHeight, widthB: b.originalWidth, heightB: b.originalHeight,
                             overlapThreshold: overlapThreshold)
    }
}

/// RoMa v2 (romav2 2.0.1 `romav2.py`, `RoMaV2.forward` and `match`): the DINOv3 descriptor
/// and the multi-view matcher at the low resolution, then the refiners at strides 4, 2, 1
/// on VGG19-BN features, once at the low resolution and, when the setting has one, again
/// at the high resolution, both directions when bidirectional.
public final class RoMaV2Model: @unchecked Sendable {
    public let architecture: RoMaV2Architecture
    public let config: RoMaV2Config
    /// `.bf16` as romav2 runs by default: the descriptor cast to bf16, the matcher's ViT,
    /// the DPT head and the refiners' blocks under bf16 autocast; VGG's fine features stay
    /// fp32 (their autocast is `device_type="cuda"`). `.fp32`: every autocast off.
    public let precision: Precision
    let descriptor: DINOv3Descriptor
    let matcher: RoMaV2Matcher
    let fineFeatures: RoMaV2FineFeatures
    let refiners: [(stride: Int, refiner: RoMaV2Refiner)]

    /// Binds the one checkpoint's keys: `f.` (DINOv3), `matcher.`, `refiner_features.`,
    /// `refiners.4.` / `refiners.2.` / `refiners.1.`.
    public init(weights: any WeightSource, architecture: RoMaV2Architecture = .official,
                config: RoMaV2Config = RoMaV2Config(.default), precision: Precision = .fp32) throws {
        self.architecture = architecture
        self.config = config
        self.precision = precision
        let root = LayerReader(weights)
        descriptor = try DINOv3Descriptor(root("f"), shape: architecture.descriptor, precision: precision)
        matcher = try RoMaV2Matcher(root("matcher"), shape: architecture.matcher, precision: precision)
        fineFeatures = try RoMaV2FineFeatures(root("refiner_features"), widths: architecture.fineFeatureWidths)
        refiners = try RoMaV2Architecture.refinerStrides.map { stride in
            guard let shape = architecture.refiners[stride] else { throw RoMaError("RoMa v2: no refiner shape for stride \(stride)") }
            return (stride, try RoMaV2Refiner(root("refiners")("\(stride)"), shape: shape, precision: precision))
        }
    }

    /// The same layers (and precision) in another configuration (a setting changes no weight).
    public init(sharing other: RoMaV2Model, config: RoMaV2Config) {
        (architecture, self.config, precision) = (other.architecture, config, other.precision)
        (descriptor, matcher, fineFeatures, refiners) = (other.descriptor, other.matcher, other.fineFeatures, other.refiners)
    }

    /// Raw predictions: warps `[1, H, W, 2]` and confidences `[1, H, W, 4]` (overlap logit
    /// and precision parameters), channels-last, on the last pass's grid.
    public struct Predictions {
        public var warpAB: Tensor
        public var confidenceAB: Tensor
        public var warpBA: Tensor?
        public var confidenceBA: Tensor?
    }

    /// `RoMaV2.forward` on images `[1, 3, H, W]` in [0, 1] (already resized: `image(_:size:)`).
    /// With `cache`, each image's descriptor layers and fine features are looked up there by
    /// `ids` (the images' identities, e.g. their decoded files) and stored after computing.
    /// Both are functions of one image and the weights (romav2 runs the descriptor and VGG
    /// per image too), so a cached pair's warp is bit-identical to an uncached one.
    public func forward(lowA: Tensor, lowB: Tensor, highA: Tensor? = nil, highB: Tensor? = nil,
                        cache: EncoderCache? = nil, ids: (String, String)? = nil) throws -> Predictions {
        let bidirectional = config.bidirectional
        // Keys: the descriptor as the "coarse" entry at the low size, fine features per pass size.
        func features(_ side: Int, _ image: Tensor, descriptor: Bool, _ compute: () throws -> [Int: Tensor]) throws -> [Int: Tensor] {
            guard let cache, let id = side == 0 ? ids?.0 : ids?.1 else { return try compute() }
            return try cache.features(EncoderCache.Key(image: id, coarse: descriptor, resolution: (image.shape[2], image.shape[3])), compute: compute)
        }
        func describe(_ side: Int, _ image: Tensor) throws -> [Tensor] {
            let layers = try features(side, image, descriptor: true) {
                Dictionary(uniqueKeysWithValues: try self.descriptor(image).enumerated().map { ($0.offset, $0.element) })
            }
            return layers.keys.sorted().map { layers[$0]! }
        }
        let fA = try describe(0, lowA), fB = try describe(1, lowB)
        let m = try matcher(featuresA: fA, featuresB: fB, imageA: lowA, imageB: lowB, bidirectional: bidirectional)
        var p = Predictions(warpAB: m.warpAB, confidenceAB: m.confidenceAB, warpBA: m.warpBA, confidenceBA: m.confidenceBA)
        var passes = [(lowA, lowB)]
        if let highA, let highB { passes.append((highA, highB)) }
        for (pass, (imageA, imageB)) in passes.enumerated() {
            let (h, w) = (imageA.shape[2], imageA.shape[3])
            // torch.tensor((W / anchor_width, H / anchor_height)): Python floats, stored as float32.
            let scale = (Float(Double(w) / Double(architecture.anchorWidth)), Float(Double(h) / Double(architecture.anchorHeight)))
            let featuresA = try features(0, imageA, descriptor: false) { try self.fineFeatures(imageA) }
            let featuresB = try features(1, imageB, descriptor: false) { try self.fineFeatures(imageB) }
            for (stride, refiner) in refiners {
                // The second pass starts its stride-4 refiner without the first pass's
                // precision: the refiners predict it relative to their own resolution.
                let zeroOutPrecision = highA != nil && stride == 4 && pass == 1
                guard let fa = featuresA[stride], let fb = featuresB[stride] else {
                    throw RoMaError("RoMa v2: no fine features at stride \(stride)")
                }
                (p.warpAB, p.confidenceAB) = try interpolateWarpAndConfidence(warp: p.warpAB, confidence: p.confidenceAB, height: h, width: w,
                                                                              stride: stride, zeroOutPrecision: zeroOutPrecision)
                (p.warpAB, p.confidenceAB) = try refiner(featuresA: fa, featuresB: fb, warp: p.warpAB, confidence: p.confidenceAB, scaleFactor: scale)
                if bidirectional, let warpBA = p.warpBA, let confidenceBA = p.confidenceBA {
                    let (wi, ci) = try interpolateWarpAndConfidence(warp: warpBA, confidence: confidenceBA, height: h, width: w,
                                                                    stride: stride, zeroOutPrecision: zeroOutPrecision)
                    (p.warpBA, p.confidenceBA) = try refiner(featuresA: fb, featuresB: fa, warp: wi, confidence: ci, scaleFactor: scale)
                }
            }
        }
        return p
    }

    /// `RoMaV2.match` on two decoded images (at their own size, `roma decode --preset roma2`):
    /// u8/255, resized to the setting's sizes as romav2 (antialiased bicubic), forward, then
    /// `_map_confidence` per direction (its threshold left to the sampler, see `RoMaV2Output`).
    /// `cache` and `ids` as `forward`'s.
    public func match(_ a: DecodedImage, _ b: DecodedImage, cache: EncoderCache? = nil, ids: (String, String)? = nil) throws -> RoMaV2Output {
        let low = config.lowResolution, high = config.highResolution
        let p = try forward(lowA: Self.image(a, size: low), lowB: Self.image(b, size: low),
                            highA: try high.map { try Self.image(a, size: $0) }, highB: try high.map { try Self.image(b, size: $0) },
                            cache: cache, ids: ids)
        let (h, w) = (p.warpAB.shape[1], p.warpAB.shape[2])
        let ab = Self.mapConfidence(p.confidenceAB, threshold: nil)
        var out = RoMaV2Output(width: w, height: h, warpAB: p.warpAB.array, overlapAB: ab.overlap, precisionAB: ab.precision,
                               overlapThreshold: config.threshold)
        if let warpBA = p.warpBA, let confidenceBA = p.confidenceBA {
            let ba = Self.mapConfidence(confidenceBA, threshold: nil)
            (out.warpBA, out.overlapBA, out.precisionBA) = (warpBA.array, ba.overlap, ba.precision)
        }
        return out
    }

    /// romav2's `_load_image` + `F.interpolate(bicubic, align_corners=False, antialias=True)`:
    /// `[1, 3, H, W]` float32, u / 255, resized (bicubic overshoot kept).
    public static func image(_ d: DecodedImage, size: RoMaV2Config.Resolution) throws -> Tensor {
        let p = d.coarse
        let plane = p.width * p.height
        var values = [Float](repeating: 0, count: 3 * plane)
        p.rgb.withUnsafeBufferPointer { rgb in
            for i in 0..<plane { for c in 0..<3 { values[c * plane + i] = Float(rgb[i * 3 + c]) / 255 } }
        }
        let x = Tensor(values, shape: [1, 3, p.height, p.width])
        return try interpolateBicubicAntialiased(x, size: (size.height, size.width))
    }

    /// `_map_confidence`: overlap = sigmoid(confidence[..., 0]), set to 1 above the
    /// threshold; precision = [[p0, p1], [p1, p2]] from confidence[..., 1:4].
    static func mapConfidence(_ confidence: Tensor, threshold: Float?) -> (overlap: [Float], precision: [Float]) {
        let c = confidence.array
        let n = c.count / 4
        var overlap = [Float](repeating: 0, count: n), precision = [Float](repeating: 0, count: 4 * n)
        for i in 0..<n {
            var o = 1 / (1 + expf(-c[4 * i]))
            if let threshold, o > threshold { o = 1 }
            overlap[i] = o
            (precision[4 * i], precision[4 * i + 1], precision[4 * i + 2], precision[4 * i + 3]) = (c[4 * i + 1], c[4 * i + 2], c[4 * i + 2], c[4 * i + 3])
        }
        return (overlap, precision)
    }
}
