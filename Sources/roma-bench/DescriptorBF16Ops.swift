import Artifacts
import Checkpoint
import Foundation
import NN
import RoMa

/// `roma-bench descriptor --bf16-ops`: romav2's bf16 DINOv3 at full size, op by op. Each op of
/// the first recorded blocks is fed torch's own input (bf16_ops.safetensors, written by
/// scripts/reference/romav2_descriptor_bf16_blocks.py) and its output compared with torch's to
/// the bit, so the first op that departs shows by itself, apart from what earlier ops passed on.
struct DescriptorBF16Ops {
    let ops: Artifact
    let weights: StateDict
    let dir: String
    let heads = 16, eps: Float = 1e-5

    init(dir: String) throws {
        self.dir = dir
        ops = try Artifact.read(dir + "/bf16_ops.safetensors")
        weights = try StateDict.load(dir + "/weights.safetensors")
    }

    func ref(_ name: String) throws -> Tensor {
        Tensor(try ops.floats(name), shape: try ops.tensor(name).shape)
    }

    /// A descriptor weight as romav2 holds it: cast to bf16.
    func weight(_ key: String, _ shape: [Int]) throws -> Tensor {
        Tensor(try weights.tensor("f." + key, shape: shape).map(BF16.round), shape: shape)
    }

    /// Share of values identical to the bit; the largest difference in bf16 ulps of the
    /// reference's mean magnitude.
    @discardableResult
    func report(_ name: String, _ ours: Tensor, _ reference: Tensor) -> Double {
        precondition(ours.count == reference.count, "\(name): \(ours.shape) vs \(reference.shape)")
        var same = 0, differing = 0.0, magnitude = 0.0, worst: Float = 0
        for i in 0..<reference.count {
            let (a, b) = (ours[flat: i], reference[flat: i])
            magnitude += Double(abs(b))
            if a.bitPattern == b.bitPattern { same += 1 } else { differing += 1; worst = max(worst, abs(a - b)) }
        }
        let ulp = Float(magnitude / Double(max(1, reference.count))) * 0x1p-8
        let share = Double(same) / Double(max(1, reference.count))
        print(String(format: "  %-10@ %8.4f %% identical (%.0f values differ), max %.2f ulps of the mean magnitude",
                     name as NSString, 100 * share, differing, worst / max(ulp, 0x1p-126)))
        return share
    }

    func rounded(_ t: Tensor) throws -> Tensor { try BF16.round(t, into: t) }

    /// Ours run freely from the image (bf16 model), the patch embedding and each block's output
    /// against torch's: where the whole descriptor first departs and how that spreads.
    func chain() throws {
        let io = try Artifact.read(dir + "/io.safetensors")
        let image = Tensor(try io.floats("image"), shape: try io.tensor("image").shape)
        let descriptor = try DINOv3Descriptor(weights: weights, shape: .vitl16, precision: .bf16)
        let (patches, outputs) = try descriptor.trace(image)
        print("ours from the image, each block fed our previous block's output:")
        report("patch", patches, try ref("patch"))
        for (b, out) in outputs.enumerated() where ops.has("b\(b)_out") {
            report("block \(b)", out, try ref("b\(b)_out"))
        }
    }

    /// `[1, heads, N, d]` (torch's q/k/v layout) from the `group`-th third of a qkv `[1, N, 3C]`.
    func heads(of qkv: Tensor, third: Int) -> Tensor {
        let (n, c) = (qkv.shape[1], qkv.shape[2] / 3), d = c / heads
        let out = Tensor(uninitialized: [1, heads, n, d])
        for h in 0..<heads {
            for t in 0..<n { (out.pointer + (h * n + t) * d).update(from: qkv.pointer + t * 3 * c + third * c + h * d, count: d) }
        }
        return out
    }

    func run() throws {
        try chain()
        let blocks = Int(ops.metadata["blocks"] ?? "") ?? 0
        let sin = try ref("rope_sin"), cos = try ref("rope_cos")
        let side = Int(Double(sin.shape[0]).squareRoot())
        let periods = try weight("rope_embed.periods", [16])
        let rope = try RotaryEmbedding(height: side, width: side, periods: periods)
        print("RoPE tables (fp32), ours from the bf16 periods vs torch's:")
        report("sin", rope.sin, sin)
        report("cos", rope.cos, cos)
        for b in 0..<blocks {
            let p = "blocks.\(b)."
            print("block \(b), each op fed torch's input:")
            let input = try ref("b\(b)_in")
            let dim = input.shape[2]
            let norm1 = try layerNormTorch(input, weight: try weight(p + "norm1.weight", [dim]),
                                           bias: try weight(p + "norm1.bias", [dim]), eps: eps, input: .bf16)
            report("norm1", norm1, try ref("b\(b)_norm1"))
            let mask = try weight(p + "attn.qkv.bias_mask", [3 * dim]), qkvBias = try weight(p + "attn.qkv.bias", [3 * dim])
            let masked = try rounded(Tensor(zip(qkvBias.array, mask.array).map { $0 * $1 }, shape: [3 * dim]))
            let qkv = try linearBF16TorchOrder(try ref("b\(b)_norm1"), weight: try weight(p + "attn.qkv.weight", [3 * dim, dim]), bias: masked)
            report("qkv", try rounded(qkv), try ref("b\(b)_qkv"))
            let rotated = try ref("b\(b)_qkv")
            try applyRotary(rotated, rope, groups: 2 * heads)
            _ = try rounded(rotated)
            report("rope q", heads(of: rotated, third: 0), try ref("b\(b)_q"))
            report("rope k", heads(of: rotated, third: 1), try ref("b\(b)_k"))
            let rotatedTorchTables = try ref("b\(b)_qkv")
            try applyRotary(rotatedTorchTables, try RotaryEmbedding(sin: sin, cos: cos), groups: 2 * heads)
            report("rope q*", heads(of: try rounded(rotatedTorchTables), third: 0), try ref("b\(b)_q"))
            let sdpa = try scaledDotProductAttention(q: try ref("b\(b)_q"), k: try ref("b\(b)_k"), v: try ref("b\(b)_v"),
                                                     precision: .bf16, bf16Attention: .fused)
            report("sdpa", sdpa, try ref("b\(b)_sdpa"))
            let proj = try linearBF16TorchOrder(try ref("b\(b)_sdpa_flat"), weight: try weight(p + "attn.proj.weight", [dim, dim]),
                                  bias: try weight(p + "attn.proj.bias", [dim]))
            report("proj", try rounded(proj), try ref("b\(b)_proj"))
            let ls1 = try rounded(try layerScale(try ref("b\(b)_proj"), gamma: try weight(p + "ls1.gamma", [dim])))
            report("ls1", ls1, try ref("b\(b)_ls1"))
            report("x + ls1", try rounded(try add(input, try ref("b\(b)_ls1"))), try ref("b\(b)_mid"))
            let norm2 = try layerNormTorch(try ref("b\(b)_mid"), weight: try weight(p + "norm2.weight", [dim]),
                                           bias: try weight(p + "norm2.bias", [dim]), eps: eps, input: .bf16)
            report("norm2", norm2, try ref("b\(b)_norm2"))
            let fc1 = try linearBF16TorchOrder(try ref("b\(b)_norm2"), weight: try weight(p + "mlp.fc1.weight", [4 * dim, dim]),
                                 bias: try weight(p + "mlp.fc1.bias", [4 * dim]))
            report("fc1", try rounded(fc1), try ref("b\(b)_fc1"))
            report("gelu", try geluTorch(try ref("b\(b)_fc1"), input: .bf16), try ref("b\(b)_act"))
            let fc2 = try linearBF16TorchOrder(try ref("b\(b)_act"), weight: try weight(p + "mlp.fc2.weight", [dim, 4 * dim]),
                                 bias: try weight(p + "mlp.fc2.bias", [dim]))
            report("fc2", try rounded(fc2), try ref("b\(b)_fc2"))
            let ls2 = try rounded(try layerScale(try ref("b\(b)_fc2"), gamma: try weight(p + "ls2.gamma", [dim])))
            report("ls2", ls2, try ref("b\(b)_ls2"))
            report("x + ls2", try rounded(try add(try ref("b\(b)_mid"), try ref("b\(b)_ls2"))), try ref("b\(b)_out"))
        }
    }
}

