import Artifacts
import Checkpoint
import NN

/// The full-size refiner check's Swift side (`roma-bench v2-refiner`): VGG19-BN fine features and
/// the three refiners at full width on the inputs written by
/// `scripts/reference/romav2_refiner_fullsize.py prepare`, each stride's warp and confidence
/// saved for its `compare` step. Lives in the library because the layers it drives are internal.
public enum RoMaV2RefinerCheck {
    public static func run(directory dir: String) throws {
        let w = try StateDict.load(dir + "/weights.safetensors")
        let inputs = try Artifact.read(dir + "/inputs.safetensors")
        func tensor(_ name: String) throws -> Tensor { Tensor(try inputs.floats(name), shape: try inputs.tensor(name).shape) }
        /// uint8 H×W×3 → [1, 3, H, W] in [0, 1], as the script's `to_input`.
        func image(_ name: String) throws -> Tensor {
            let shape = try inputs.tensor(name, shape: [nil, nil, 3]).shape
            let (h, wd) = (shape[0], shape[1])
            let bytes = try inputs.bytes(name)
            let t = Tensor(uninitialized: [1, 3, h, wd])
            for i in 0..<(h * wd) { for c in 0..<3 { t.pointer[c * h * wd + i] = Float(bytes[3 * i + c]) / 255 } }
            return t
        }
        let features = try RoMaV2FineFeatures(LayerReader(w, "refiner_features."), widths: RoMaV2FineFeatures.fullWidths)
        let refiners = try RoMaV2RefinerShape.full.map {
            (stride: $0.stride, refiner: try RoMaV2Refiner(LayerReader(w, "refiners.\($0.stride)."), shape: $0.shape))
        }
        let imageA = try image("image_A"), imageB = try image("image_B")
        let side = imageA.shape[3]
        let scaleFactor = (Float(Double(side) / 512), Float(Double(side) / 512))
        let feats = ["A": try features(imageA), "B": try features(imageB)]
        var out = Artifact(schema: Schema("roma2.refiner-check", version: 1))
        for d in ["AB", "BA"] {
            var warp = try tensor("prior_\(d).warp")
            var confidence = try tensor("prior_\(d).confidence")
            let (fa, fb) = (feats[String(d.first!)]!, feats[String(d.last!)]!)
            for (s, refiner) in refiners {
                (warp, confidence) = try interpolateWarpAndConfidence(warp: warp, confidence: confidence, height: side, width: side,
                                                                      stride: s, zeroOutPrecision: false)
                (warp, confidence) = try refiner(featuresA: fa[s]!, featuresB: fb[s]!, warp: warp, confidence: confidence, scaleFactor: scaleFactor)
                out.put("\(d).s\(s).warp", warp.array, shape: warp.shape)
                out.put("\(d).s\(s).confidence", confidence.array, shape: confidence.shape)
            }
        }
        try out.write(to: dir + "/ours.safetensors")
    }
}
