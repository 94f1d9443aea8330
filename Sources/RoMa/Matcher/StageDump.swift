import Artifacts
import Foundation
import NN

extension RoMaModel {
    /// Every stage's output for a pair, under the keys `scripts/reference/full_size_reference.py
    /// run --stages` writes for romatch (float32 or float64), so `stage_errors.py` can measure
    /// each stage of both implementations against the float64 run: `dinov2_a/b` and
    /// `vgg{1,2,4,8}_a/b` (coarse pass, before the projections), `gp_ab/ba`, `logits_ab/ba`
    /// (as tokens `[1, h·w, anchors]`), `gm_certainty_ab/ba`, `{coarse,fine}_flow{S}_ab/ba` and
    /// `_certainty{S}_` after each scale's refiner, and the finished `warp_ab/ba`,
    /// `certainty_ab/ba`. Holds every intermediate at once: for diagnosis, not for `match`.
    public func stageOutputs(_ a: DecodedImage, _ b: DecodedImage) throws -> [String: Tensor] {
        try [a, b].forEach(checkSizes)
        let trace = Trace(), images = [a, b]
        let out = try run(trace: trace) { side, coarse in
            let image = images[side]
            return try self.encode(Self.normalise(coarse ? image.coarse : image.upsampled!), coarse: coarse,
                                   trace: coarse ? trace : nil, tag: "\(side).")
        }
        var stages: [String: Tensor] = [:]
        let sides = ["a", "b"], directions = ["ab", "ba"]
        for (name, t) in trace.tensors {
            let parts = name.split(separator: ".").map(String.init)
            if parts.count == 3, parts[1] == "pyramid", let side = Int(parts[0]), let s = Int(parts[2]) {
                stages[s == 16 ? "dinov2_\(sides[side])" : "vgg\(s)_\(sides[side])"] = t
            } else if parts.count >= 3, let d = Int(parts[1]) {
                let pass = parts[0], rest = parts[2...].joined(separator: ".")
                switch (pass, parts.count, rest) {
                case ("coarse", 3, "gp_posterior"): stages["gp_\(directions[d])"] = t
                case ("coarse", 3, "cls_logits"): stages["logits_\(directions[d])"] = t
                case ("coarse", 3, "gm_certainty"): stages["gm_certainty_\(directions[d])"] = t
                case (_, 4, _) where parts[2] == "flow" || parts[2] == "certainty":
                    stages["\(pass)_\(parts[2])\(parts[3])_\(directions[d])"] = t
                default: break
                }
            }
        }
        let (h, w) = (out.height, out.width)
        stages["warp_ab"] = Tensor(out.warpAB, shape: [h, w, 2])
        stages["warp_ba"] = Tensor(out.warpBA, shape: [h, w, 2])
        stages["certainty_ab"] = Tensor(out.certaintyAB, shape: [h, w])
        stages["certainty_ba"] = Tensor(out.certaintyBA, shape: [h, w])
        return stages
    }
}
