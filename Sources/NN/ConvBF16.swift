/// `conv2d(precision: .bf16)`: torch's CPU autocast convolution. Input, weight and bias
/// are rounded to bf16, products accumulated in fp32, the result rounded to bf16.
///
/// - With oneDNN's bf16 GEMM (AVX512-BF16), im2col and 1×1 convolutions run their
///   GEMMs on it: each band's operands are packed to bf16 and its output rounded.
/// - Otherwise (emulation; depthwise; Winograd) the fp32 algorithm runs on rounded
///   copies of input, weight and bias, and the output is rounded once. Products of
///   two bf16 values are exact in fp32, so this is the same arithmetic; Winograd's
///   transforms add only fp32 rounding on top, far below bf16's (tests bound both).
func bf16Conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ g: ConvGeometry, _ out: Tensor, _ workspace: Workspace?,
                columnBudget: Int, minimumBandColumns: Int, algorithm: ConvAlgorithm, winogradBandBudget: Int,
                backend: BF16.Backend) throws(NNError) {
    let hardware = backend == .onednn && BF16.isAvailable(.onednn)
    let roundedBias = try bias.map { b throws(NNError) in try BF16.round(b) }
    let depthwise = g.inChannelsPerGroup == 1 && g.groups > 1
    // Winograd stays Winograd: in fp32 on rounded operands it beat im2col on the bf16 GEMM
    // at VGG's shapes (1.03× vs 1.19–1.26× fp32's time, `roma-bench ops --filter conv3x3`).
    let winograd = algorithm == .winograd || (algorithm == .automatic && winogradApplies(g))
    if hardware && !winograd && !depthwise {
        gemmConv2d(x, weight, roundedBias, g, out, workspace, columnBudget: columnBudget,
                   minimumBandColumns: minimumBandColumns, precision: .bf16)
        return
    }
    let rx = try BF16.round(x, workspace: workspace), rw = try BF16.round(weight)
    if winograd {
        winogradConv2d(rx, rw, roundedBias, g, out, workspace, bandBudget: winogradBandBudget)
    } else if depthwise {
        depthwiseConv2d(rx, rw, roundedBias, g, out)
    } else {
        gemmConv2d(rx, rw, roundedBias, g, out, workspace, columnBudget: columnBudget, minimumBandColumns: minimumBandColumns)
    }
    workspace?.recycle(rx)
    _ = try BF16.round(out, into: out)
}
