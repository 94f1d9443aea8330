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

    /// Runs `blocks` in turn (a refiner's stack). Where a block runs its two convolutions
    /// apart at fp32, its 1×1 conv leaves its bias out and the next block's depthwise conv
    /// adds it as it copies each input plane (NN's `depthwiseConv2d(_:inputBias:…)`): the
    /// ~100 MB output is then not bias-filled before the GEMM and not read back by it
    /// (beta = 0). The last block keeps its bias. The same sums as block by block, up to
    /// where the bias enters the GEMM's float32 accumulation.
    ///
    /// The maps between blocks come from one `Workspace` and go back to it as they die, so
    /// a stack of nine blocks maps fresh pages for about three maps, not eighteen (each
    /// fresh page is a page fault and a page clearing: 0.4 M faults per `roma match`).
    static func run(_ blocks: [RefinerBlock], _ x: Tensor, stage: String) throws -> Tensor {
        var d = x
        var pending: Tensor? = nil
        let workspace = Workspace()
        var pooled = false   // whether d came from `workspace`
        for (i, block) in blocks.enumerated() {
            if let bias = pending, !block.splitsBias {
                d = try add(d, bias.reshaped([1, bias.count, 1, 1]), into: d)
                pending = nil
            }
            guard block.splitsBias else {
                let y = try block(d, stage: stage)
                if pooled { workspace.recycle(d) }
                (d, pooled) = (y, false)
                continue
            }
            let hidden = try StageClock.measure("\(stage): depthwise + ReLU") {
                guard let bias = pending else { return try block.depthwise(d, workspace: workspace) }
                FlopCounter.add(2 * Double(d.count) * Double(block.depthwise.weight.count / block.depthwise.weight.shape[0]))
                return try depthwiseConv2d(d, inputBias: bias, weight: block.depthwise.weight, bias: block.depthwise.bias,
                                           padding: block.depthwise.padding, relu: block.depthwise.fusedReLU, workspace: workspace)
            }
            if pooled { workspace.recycle(d) }
            let last = i == blocks.count - 1
            d = try StageClock.measure("\(stage): pointwise") {
                // The last map leaves the stack: a tensor of its own, not one of the pool's.
                guard !last else { return try block.pointwise(hidden) }
                let y = try conv2d(hidden, weight: block.pointwise.weight, bias: nil, workspace: workspace)
                FlopCounter.add(2 * Double(y.count) * Double(block.pointwise.weight.count / block.pointwise.weight.shape[0]))
                return y
            }
            workspace.recycle(hidden)
            pooled = !last
            pending = last ? nil : block.pointwise.bias
        }
        return d
    }

    /// Whether this block runs apart at fp32 with plain convolutions (so `run` can move the
    /// 1×1's bias into the next block).
    private var splitsBias: Bool {
        !fuses && depthwise.precision == .fp32 && pointwise.precision == .fp32
            && depthwise.batchNorm == nil && pointwise.batchNorm == nil && !pointwise.fusedReLU
            && depthwise.stride == 1 && depthwise.groups == depthwise.weight.shape[0] && depthwise.weight.shape[1] == 1
            && pointwise.stride == 1 && pointwise.padding == 0 && pointwise.groups == 1
            && pointwise.weight.shape[2] == 1 && pointwise.weight.shape[3] == 1
    }

    private var fuses: Bool {
        depthwisePointwiseAvailable && depthwise.weight.shape[0] < depthwisePointwiseMaxChannels && depthwise.precision == .fp32 && pointwise.precision == .fp32
            && depthwise.batchNorm == nil && pointwise.batchNorm == nil && !pointwise.fusedReLU
            && depthwise.stride == 1 && depthwise.groups == depthwise.weight.shape[0] && depthwise.weight.shape[1] == 1
            && pointwise.stride == 1 && pointwise.padding == 0 && pointwise.groups == 1
            && pointwise.weight.shape[2] == 1 && pointwise.weight.shape[3] == 1
    }
}
