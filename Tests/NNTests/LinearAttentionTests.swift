import NN
import Testing

/// GEMM-based operators against torch. Sums run over K ≤ 32 products of O(1)
/// values; cblas and torch order them differently, giving errors near
/// √K·2⁻²⁴·|terms| ≈ 1e-6, so rtol/atol 1e-5.
@Suite struct LinearAttentionTests {
    @Test func linearMatchesTorch() throws {
        let f = try Fixture("linear")
        let x = try f.tensor("x"), w = try f.tensor("weight")
        expectClose(try linear(x, weight: w, bias: try f.tensor("bias")), try f.tensor("y"), rtol: 1e-5, atol: 1e-5, "bias")
        expectClose(try linear(x, weight: w), try f.tensor("y_nobias"), rtol: 1e-5, atol: 1e-5, "no bias")
        #expect(throws: NNError.self) { try linear(x, weight: Tensor(zeros: [16, 23])) }
    }

    @Test func matmulMatchesTorch() throws {
        let f = try Fixture("matmul")
        let a = try f.tensor("a")
        expectClose(try matmul(a, try f.tensor("b")), try f.tensor("y"), rtol: 1e-5, atol: 1e-5, "a·b")
        expectClose(try matmul(a, try f.tensor("bt"), transposeB: true), try f.tensor("yt"), rtol: 1e-5, atol: 1e-5, "a·bᵀ")
        #expect(throws: NNError.self) { try matmul(a, try f.tensor("bt")) }
    }

    /// Softmax then a second GEMM: exp amplifies the score error by at most the
    /// score magnitude (~3 here), hence 2e-5.
    @Test func scaledDotProductAttentionMatchesTorch() throws {
        let f = try Fixture("sdpa")
        let y = try scaledDotProductAttention(q: try f.tensor("q"), k: try f.tensor("k"), v: try f.tensor("v"))
        expectClose(y, try f.tensor("y"), rtol: 2e-5, atol: 2e-5)
    }

    /// DINOv2's Attention module from romatch (qkv as one [3C, C] linear, 4 heads): two
    /// linears around attention, hence 3e-5.
    @Test func multiHeadSelfAttentionMatchesDinov2() throws {
        let f = try Fixture("mhsa")
        let ws = Workspace()
        let y = try multiHeadSelfAttention(try f.tensor("x"), qkvWeight: try f.tensor("qkv_weight"), qkvBias: try f.tensor("qkv_bias"),
                                           projWeight: try f.tensor("proj_weight"), projBias: try f.tensor("proj_bias"),
                                           heads: try f.int("heads"), workspace: ws)
        expectClose(y, try f.tensor("y"), rtol: 3e-5, atol: 3e-5)
        #expect(throws: NNError.self) {
            try multiHeadSelfAttention(try f.tensor("x"), qkvWeight: try f.tensor("qkv_weight"), qkvBias: nil,
                                       projWeight: try f.tensor("proj_weight"), projBias: nil, heads: 5)
        }
    }

    /// LayerScale is one multiply per element: exact.
    @Test func layerScaleMatchesDinov2() throws {
        let f = try Fixture("layerscale")
        expectClose(try layerScale(try f.tensor("x"), gamma: try f.tensor("gamma")), try f.tensor("y"), rtol: 0, atol: 0)
    }
}
