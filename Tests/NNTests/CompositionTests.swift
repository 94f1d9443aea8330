import NN
import Testing

/// Operators composed as the ViT composes them: one DINOv2 transformer block
/// (romatch's Block), run the way a model should run it, with a Workspace and every
/// intermediate recycled.
@Suite struct CompositionTests {
    struct BlockWeights {
        let norm1W, norm1B, qkvW, qkvB, projW, projB, ls1, norm2W, norm2B, fc1W, fc1B, fc2W, fc2B, ls2: Tensor
        init(_ f: Fixture) throws {
            func t(_ name: String) throws -> Tensor { try f.tensor("block." + name) }
            norm1W = try t("norm1.weight"); norm1B = try t("norm1.bias")
            qkvW = try t("attn.qkv.weight"); qkvB = try t("attn.qkv.bias")
            projW = try t("attn.proj.weight"); projB = try t("attn.proj.bias")
            ls1 = try t("ls1.gamma")
            norm2W = try t("norm2.weight"); norm2B = try t("norm2.bias")
            fc1W = try t("mlp.fc1.weight"); fc1B = try t("mlp.fc1.bias")
            fc2W = try t("mlp.fc2.weight"); fc2B = try t("mlp.fc2.bias")
            ls2 = try t("ls2.gamma")
        }
    }

    /// x + ls1·attn(norm1(x)), then + ls2·mlp(norm2(x)); the residual adds run in place.
    func block(_ x: Tensor, _ w: BlockWeights, heads: Int, eps: Float, _ ws: Workspace) throws -> Tensor {
        let h = try layerNorm(x, weight: w.norm1W, bias: w.norm1B, eps: eps, workspace: ws)
        let a = try multiHeadSelfAttention(h, qkvWeight: w.qkvW, qkvBias: w.qkvB, projWeight: w.projW, projBias: w.projB,
                                           heads: heads, workspace: ws)
        ws.recycle(h)
        _ = try layerScale(a, gamma: w.ls1, into: a)
        _ = try add(x, a, into: x)
        ws.recycle(a)
        let h2 = try layerNorm(x, weight: w.norm2W, bias: w.norm2B, eps: eps, workspace: ws)
        let m = try linear(h2, weight: w.fc1W, bias: w.fc1B, workspace: ws)
        ws.recycle(h2)
        _ = try gelu(m, into: m)
        let m2 = try linear(m, weight: w.fc2W, bias: w.fc2B, workspace: ws)
        ws.recycle(m)
        _ = try layerScale(m2, gamma: w.ls2, into: m2)
        _ = try add(x, m2, into: x)
        ws.recycle(m2)
        return x
    }

    /// Five GEMMs, two LayerNorms, softmax and GELU in sequence: each adds ~1e-6 of
    /// float32 reordering error on O(1) activations, so 5e-5.
    @Test func dinov2BlockMatchesRomatch() throws {
        let f = try Fixture("dinov2_block")
        let w = try BlockWeights(f)
        let ws = Workspace()
        let heads = try f.int("heads"), eps = Float(try f.double("eps"))
        let y = try block(try f.tensor("x"), w, heads: heads, eps: eps, ws)
        expectClose(y, try f.tensor("y"), rtol: 5e-5, atol: 5e-5)

        // A second pass with the same shapes must be served entirely from the pool.
        let allocated = ws.allocatedBytes
        let again = try block(try f.tensor("x"), w, heads: heads, eps: eps, ws)
        #expect(ws.allocatedBytes == allocated, "steady state: \(ws.allocatedBytes - allocated) new bytes on the second pass")
        expectClose(again, try f.tensor("y"), rtol: 5e-5, atol: 5e-5, "second pass")
    }

    /// romatch's ConvRefiner block (dw=True, kernel 5): depthwise conv → BatchNorm2d →
    /// ReLU → 1×1 conv, with the batch norm folded into the depthwise conv at load as
    /// the model does. Folding scales weights by γ/√(var+eps) (|γ| ≲ 1, var ≥ 0.3, so
    /// ≤ ~2), and two convs accumulate reordering error on O(1) values: 2e-5.
    @Test func convRefinerBlockWithFoldedBatchNormMatchesRomatch() throws {
        let f = try Fixture("refiner_block")
        func t(_ name: String) throws -> Tensor { try f.tensor("block1." + name) }
        let k = try f.int("kernel_size")
        let bn = BatchNormParameters(gamma: try t("1.weight"), beta: try t("1.bias"), mean: try t("1.running_mean"),
                                     variance: try t("1.running_var"), eps: Float(try f.double("eps")))
        let folded = try foldBatchNorm(weight: try t("0.weight"), bias: try t("0.bias"), bn)
        let x = try f.tensor("x")
        let h = try conv2d(x, weight: folded.weight, bias: folded.bias, padding: k / 2, groups: x.dim(1))
        _ = try relu(h, into: h)
        let y = try conv2d(h, weight: try t("3.weight"), bias: try t("3.bias"))
        expectClose(y, try f.tensor("y"), rtol: 2e-5, atol: 2e-5)
    }
}
