@testable import NN
import Testing

/// Convolutions against torch's F.conv2d. The GEMM path and torch's kernels sum the
/// same products (K ≤ 8·14·14 = 1568) in different orders; with O(1) inputs and
/// weights scaled by 1/√K the outputs are O(1) and float32 reordering error stays
/// near √K·2⁻²⁴·|terms| ≈ 1e-6, so atol 1e-5 with rtol 1e-5 leaves headroom
/// while still catching any wrong tap (errors of order 0.1).
@Suite struct ConvTests {
    static let cases = ["conv_3x3", "conv_1x1", "conv_1x1_nobias", "conv_5x5_stride2", "conv_3x3_dilation2",
                        "conv_grouped", "conv_depthwise_5x5", "conv_depthwise_mult2_stride2", "conv_depthwise_3x3_dilation2", "conv_patch14"]

    func run(_ f: Fixture, columnBudget: Int = defaultColumnBudget, minimumBandColumns: Int = defaultMinimumBandColumns,
             workspace: Workspace? = nil) throws -> Tensor {
        let bias = f.artifact.has("bias") ? try f.tensor("bias") : nil
        return try conv2d(try f.tensor("x"), weight: try f.tensor("weight"), bias: bias,
                          stride: try f.int("stride"), padding: try f.int("padding"), dilation: try f.int("dilation"),
                          groups: try f.int("groups"), into: nil, workspace: workspace, columnBudget: columnBudget, minimumBandColumns: minimumBandColumns)
    }

    @Test(arguments: cases)
    func matchesTorch(_ name: String) throws {
        let f = try Fixture(name)
        expectClose(try run(f), try f.tensor("y"), rtol: 1e-5, atol: 1e-5, name)
    }

    /// A column budget of a few hundred floats splits the im2col matrix into bands of
    /// one output row, so band boundaries and the last partial band are exercised.
    @Test(arguments: ["conv_3x3", "conv_5x5_stride2", "conv_grouped", "conv_3x3_dilation2"])
    func bandedColumnsMatchTorch(_ name: String) throws {
        let f = try Fixture(name)
        expectClose(try run(f, columnBudget: 300, minimumBandColumns: 1), try f.tensor("y"), rtol: 1e-5, atol: 1e-5, name)
    }

    @Test func workspaceReusesBuffersAcrossCalls() throws {
        let f = try Fixture("conv_3x3")
        let ws = Workspace()
        let first = try run(f, workspace: ws)
        expectClose(first, try f.tensor("y"), rtol: 1e-5, atol: 1e-5)
        ws.recycle(first)
        let before = ws.allocatedBytes
        let second = try run(f, workspace: ws)
        ws.recycle(second)
        #expect(ws.allocatedBytes == before, "a repeated call with recycled buffers must not allocate")
        #expect(before > 0)
    }

    /// The depthwise path applies ReLU per plane as it writes it: the same values, bit for
    /// bit, as conv2d then relu (NaN passing through, -0 kept), on every depthwise fixture
    /// (strided and dilated planes included).
    @Test(arguments: ["conv_depthwise_5x5", "conv_depthwise_mult2_stride2", "conv_depthwise_3x3_dilation2"])
    func depthwiseFusedReLUEqualsReLUAfter(_ name: String) throws {
        let f = try Fixture(name)
        let x = try f.tensor("x").copy()
        x.pointer[3] = .nan
        let args = (weight: try f.tensor("weight"), bias: f.artifact.has("bias") ? try f.tensor("bias") : nil,
                    stride: try f.int("stride"), padding: try f.int("padding"), dilation: try f.int("dilation"),
                    groups: try f.int("groups"))
        let fused = try conv2d(x, weight: args.weight, bias: args.bias, stride: args.stride, padding: args.padding,
                               dilation: args.dilation, groups: args.groups, relu: true)
        let plain = try conv2d(x, weight: args.weight, bias: args.bias, stride: args.stride, padding: args.padding,
                               dilation: args.dilation, groups: args.groups)
        let after = try relu(plain)
        #expect(fused.shape == after.shape)
        #expect(zip(fused.array, after.array).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(fused.array.contains { $0.isNaN } && plain.array.contains { $0 < 0 })
    }

    /// A 1×1 convolution whose output spans several parallel chunks: each channel's
    /// bias must land on its own plane only (the bias fill runs in chunks across planes).
    @Test func pointwiseBiasFillAcrossChunks() throws {
        let (cin, cout, side) = (3, 5, 97)   // 5·97² = 47 045 outputs: two chunks, split mid-plane
        let x = Tensor(zeros: [1, cin, side, side]), w = Tensor(zeros: [cout, cin, 1, 1])
        let bias = Tensor((0..<cout).map { Float($0) + 0.5 }, shape: [cout])
        let y = try conv2d(x, weight: w, bias: bias)
        for c in 0..<cout {
            #expect((0..<(side * side)).allSatisfy { y.pointer[c * side * side + $0] == Float(c) + 0.5 }, "channel \(c)")
        }
    }

    @Test func rejectsMismatchedChannels() throws {
        let x = Tensor(zeros: [1, 4, 8, 8]), w = Tensor(zeros: [2, 3, 3, 3])
        #expect(throws: NNError.self) { try conv2d(x, weight: w) }
        #expect(throws: NNError.self) { try conv2d(Tensor(zeros: [4, 8, 8]), weight: w) }
        #expect(throws: NNError.self) { try conv2d(Tensor(zeros: [1, 3, 2, 2]), weight: w) }   // kernel larger than input
        #expect(throws: NNError.self) { try conv2d(Tensor(zeros: [1, 3, 8, 8]), weight: w, bias: Tensor(zeros: [3])) }
    }

    /// Folding BN into the conv must reproduce torch's conv → batch_norm. Folding scales
    /// weights by γ/√(var+eps) ≤ 1.5/√0.2 ≈ 3.4, which grows rounding by the same
    /// factor, so atol 5e-5.
    @Test func foldedBatchNormMatchesConvThenBatchNorm() throws {
        let f = try Fixture("batchnorm")
        let bn = BatchNormParameters(gamma: try f.tensor("gamma"), beta: try f.tensor("beta"), mean: try f.tensor("mean"),
                                     variance: try f.tensor("var"), eps: Float(try f.double("eps")))
        let weight = try f.tensor("conv_weight"), bias = try f.tensor("conv_bias")
        let folded = try foldBatchNorm(weight: weight, bias: bias, bn)
        let y = try conv2d(try f.tensor("conv_x"), weight: folded.weight, bias: folded.bias, padding: 1)
        expectClose(y, try f.tensor("conv_bn_y"), rtol: 5e-5, atol: 5e-5)
        // The unfolded path must agree too, and the inputs must be left untouched.
        let plain = try batchNorm(try conv2d(try f.tensor("conv_x"), weight: weight, bias: bias, padding: 1), bn)
        expectClose(plain, try f.tensor("conv_bn_y"), rtol: 5e-5, atol: 5e-5)
        #expect(weight.array == (try f.tensor("conv_weight")).array)
    }
}
