import NN

/// One block of RoMa's conv refiners (v1's and v2's `ConvRefiner`): depthwise k×k conv
/// with its batch norm folded in and ReLU, then a 1×1 conv. At fp32 on thin maps
/// (fewer than `depthwisePointwiseMaxChannels` channels: refiner 1) both run fused band
/// by band (NN's `depthwisePointwise`: the hidden map stays in cache); on wide maps, at
/// bf16, or where the GEMM cannot run per thread, the two convolutions run apart.
struct RefinerBlock: Sendable {
    var depthwise: Conv2d
    var pointwise: Conv2d

    /// `stage`: the StageClock prefix ("refiner" or "v2 refiner").
    func callAsFunction(_ x: Tensor, stage: String) throws -> Tensor {
        if fuses {
            return try StageClock.measure("\(stage): depthwise + pointwise (fused)") {
                let y = try depthwisePointwise(x, depthwiseWeight: depthwise.weight, depthwiseBias: depthwise.bias,
                                               padding: depthwise.padding, relu: depthwise.fusedReLU,
                                               pointwiseWeight: pointwise.weight, pointwiseBias: pointwise.bias)
                let taps = Double(depthwise.weight.count / depthwise.weight.shape[0])
                FlopCounter.add(2 * Double(x.count) * taps + 2 * Double(y.count) * Double(x.channels))
                return y
            }
        }
        let hidden = try StageClock.measure("\(stage): depthwise + ReLU") { try depthwise(x) }
        return try StageClock.measure("\(stage): pointwise") { try pointwise(hidden) }
    }

    private var fuses: Bool {
        depthwisePointwiseAvailable && depthwise.weight.shape[0] < depthwisePointwiseMaxChannels && depthwise.precision == .fp32 && pointwise.precision == .fp32
            && depthwise.batchNorm == nil && pointwise.batchNorm == nil && !pointwise.fusedReLU
            && depthwise.stride == 1 && depthwise.groups == depthwise.weight.shape[0] && depthwise.weight.shape[1] == 1
            && pointwise.stride == 1 && pointwise.padding == 0 && pointwise.groups == 1
            && pointwise.weight.shape[2] == 1 && pointwise.weight.shape[3] == 1
    }
}
