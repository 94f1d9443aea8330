import NN

/// XFeat's `BasicLayer` (conv without bias → BatchNorm2d(affine=False) → ReLU),
/// the batch norm folded into the convolution when the weights are bound.
struct BasicLayer: Sendable {
    var conv: Conv2d

    init(_ r: LayerReader, in inC: Int, out: Int, kernel: Int = 3, stride: Int = 1) throws {
        conv = try r("layer")("0").conv(out: out, in: inC, kernel: kernel, stride: stride, padding: kernel / 2, bias: false)
        try conv.fold(try r("layer")("1").runningStatistics(out))
        conv.fusedReLU = true
    }

    func callAsFunction(_ x: Tensor, workspace: Workspace?) throws -> Tensor { try conv(x, workspace: workspace) }
}

extension LayerReader {
    /// A BatchNorm2d(affine=False): running statistics only, γ = 1, β = 0.
    func runningStatistics(_ c: Int) throws -> BatchNorm {
        BatchNorm(gamma: [Float](repeating: 1, count: c), beta: [Float](repeating: 0, count: c),
                  mean: try tensor("running_mean", [c]), variance: try tensor("running_var", [c]))
    }

    /// An `nn.Sequential` of `BasicLayer`s, `(in, out, kernel, stride)` each.
    func basicLayers(_ specs: [(Int, Int, Int, Int)]) throws -> [BasicLayer] {
        try specs.enumerated().map { i, s in try BasicLayer(self(String(i)), in: s.0, out: s.1, kernel: s.2, stride: s.3) }
    }
}

/// The part of XFeat (verlab/accelerated_features `modules/model.py`, `XFeatModel`)
/// that Tiny RoMa runs, as its `forward_single`: grayscale by channel mean,
/// instance norm, the CNN backbone and the pyramid fusion. The heads and XFeat's
/// own fine matcher are dropped by TinyRoMa and are not read.
struct XFeatBackbone: Sendable {
    let skip: Conv2d
    let block1, block2, block3, block4, block5: [BasicLayer]
    let fusion: [BasicLayer]
    let fusionOut: Conv2d

    /// `r` points at the XFeat module (`xfeat.0.` in Tiny RoMa's state dict).
    init(_ r: LayerReader) throws {
        skip = try r("skip1")("1").conv(out: 24, in: 1, kernel: 1)
        block1 = try r("block1").basicLayers([(1, 4, 3, 1), (4, 8, 3, 2), (8, 8, 3, 1), (8, 24, 3, 2)])
        block2 = try r("block2").basicLayers([(24, 24, 3, 1), (24, 24, 3, 1)])
        block3 = try r("block3").basicLayers([(24, 64, 3, 2), (64, 64, 3, 1), (64, 64, 1, 1)])
        block4 = try r("block4").basicLayers([(64, 64, 3, 2), (64, 64, 3, 1), (64, 64, 3, 1)])
        block5 = try r("block5").basicLayers([(64, 128, 3, 2), (128, 128, 3, 1), (128, 128, 3, 1), (128, 64, 1, 1)])
        fusion = try r("block_fusion").basicLayers([(64, 64, 3, 1), (64, 64, 3, 1)])
        fusionOut = try r("block_fusion")("2").conv(out: 64, in: 64, kernel: 1)
    }

    /// image `[1, 3, H, W]` in [0, 1], H and W multiples of 32 →
    /// (fine: x2 `[1, 24, H/4, W/4]`, coarse: fused features `[1, 64, H/8, W/8]`).
    /// Intermediates go back to `workspace` as soon as they are dead.
    func callAsFunction(_ image: Tensor, workspace ws: Workspace) throws -> (fine: Tensor, coarse: Tensor) {
        let gray = try channelMean(image, workspace: ws)
        _ = try instanceNorm2d(gray, into: gray)
        let x1 = try sequence(block1, gray, workspace: ws, consuming: false)
        let pooled = try avgPool2d(gray, kernel: 4, workspace: ws)
        ws.recycle(gray)
        let skipped = try skip(pooled, workspace: ws)
        ws.recycle(pooled)
        _ = try add(x1, skipped, into: x1)
        ws.recycle(skipped)
        let x2 = try sequence(block2, x1, workspace: ws, consuming: true)
        let x3 = try sequence(block3, x2, workspace: ws, consuming: false)
        let x4 = try sequence(block4, x3, workspace: ws, consuming: false)
        let x5 = try sequence(block5, x4, workspace: ws, consuming: false)
        let size = (x3.height, x3.width)
        for coarser in [x4, x5] {
            let up = try interpolateBilinear(coarser, size: size, workspace: ws)
            _ = try add(x3, up, into: x3)   // x3 + up(x4) + up(x5), in the reference's order
            ws.recycle(up)
            ws.recycle(coarser)
        }
        let fused = try sequence(fusion, x3, workspace: ws, consuming: true)
        defer { ws.recycle(fused) }
        return (x2, try fusionOut(fused, workspace: ws))
    }
}

/// Runs `layers` in turn, handing each intermediate back to `workspace` once the next
/// layer has read it; the input too when `consuming`.
func sequence(_ layers: [BasicLayer], _ x: Tensor, workspace: Workspace, consuming: Bool) throws -> Tensor {
    var current = x
    for (i, layer) in layers.enumerated() {
        let next = try layer(current, workspace: workspace)
        if i > 0 || consuming { workspace.recycle(current) }
        current = next
    }
    return current
}
