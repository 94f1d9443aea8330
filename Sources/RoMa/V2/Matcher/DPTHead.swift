import NN

/// romav2's DPT head (dpt.py `DPTHead` with pos_embed False, feature_only False, down_ratio 4,
/// patch 16, align_corners True). Weights under `<prefix>head.`.
///
/// Per level i of four, tokens[i·L/4] (L token maps; romav2 passes two, each used twice)
/// → shared LayerNorm (eps 1e-5) → 1×1 projection to out_channels[i] → resize:
/// transposed conv ×4, transposed conv ×2, identity, 3×3 conv stride 2. Then the
/// `scratch` fusion: 3×3 convs (no bias) to `features`, four fusion blocks from the coarsest
/// level up, each upsampling bilinearly (align_corners True) to the next level's size (the
/// last one ×2), output_conv1 (3×3 to features/2), a bilinear resize to (16/4)·(h, w), and
/// output_conv2 (3×3 to 32, ReLU, 1×1 to the output channels). The images romav2 passes
/// (img_A, img_B) are not used by the head.
///
/// `.bf16`: dpt.py wraps everything up to the last resize in a bf16 autocast that has no
/// switch (on CPU too); our fp32 mode is that autocast forced off, as the fp32 reference.
/// Under it the convolutions and transposed convolutions are autocast's bf16 ops and their
/// bf16 outputs make the ReLUs, sums and bilinear resizes bf16 too (rounded here); the norm
/// takes fp32 tokens. output_conv2 runs after `out.float()`, in fp32.
struct DPTHead: Sendable {
    let norm: LayerNorm
    let projects: [Conv2d]
    /// Transposed convolutions of levels 0 and 1 (weight [C, C, k, k]), their stride = kernel.
    let upsample: [(weight: Tensor, bias: Tensor, stride: Int)]
    /// At `.bf16`, their taps packed for torch's order (`convTranspose2dBF16TorchOrder`).
    let upsampleBF16: [[BF16PackedConv]]
    /// Level 3's stride-2 convolution.
    let downsample: Conv2d
    let layerRN: [Conv2d]
    /// refinenet1…4; refinenet4 has no first residual unit.
    let fusion: [FusionBlock]
    let outputConv1: Conv2d, outputConv2a: Conv2d, outputConv2b: Conv2d
    let precision: Precision

    init(_ r: LayerReader, shape: RoMaV2MatcherShape, precision: Precision = .fp32) throws {
        self.precision = precision
        let oc = shape.dptOutChannels, f = shape.dptFeatures
        // romav2's bf16 reference sums as torch's oneDNN: so do these (`useTorchOrderBF16`)
        func autocast(_ c: Conv2d) throws -> Conv2d { var c = c; c.precision = precision; try c.useTorchOrderBF16(); return c }
        norm = try r("norm").layerNorm(shape.dim, eps: 1e-5)
        projects = try oc.enumerated().map { i, c in try autocast(try r("projects")("\(i)").conv(out: c, in: shape.dim, kernel: 1)) }
        upsample = try [(0, 4), (1, 2)].map { i, k in
            let rr = r("resize_layers")("\(i)")
            return (Tensor(try rr.tensor("weight", [oc[i], oc[i], k, k]), shape: [oc[i], oc[i], k, k]),
                    Tensor(try rr.tensor("bias", [oc[i]]), shape: [oc[i]]), k)
        }
        upsampleBF16 = precision == .bf16
            ? try upsample.map { u in try BF16PackedConv.transposedTaps(weight: u.weight, bias: u.bias) } : []
        downsample = try autocast(try r("resize_layers")("3").conv(out: oc[3], in: oc[3], kernel: 3, stride: 2, padding: 1))
        let scratch = r("scratch")
        layerRN = try (1...4).map { i in try autocast(try scratch("layer\(i)_rn").conv(out: f, in: oc[i - 1], kernel: 3, padding: 1, bias: false)) }
        fusion = try (1...4).map { i in try FusionBlock(scratch("refinenet\(i)"), features: f, hasResidual: i != 4, precision: precision) }
        outputConv1 = try autocast(try scratch("output_conv1").conv(out: f / 2, in: f, kernel: 3, padding: 1))
        var conv2a = try scratch("output_conv2")("0").conv(out: 32, in: f / 2, kernel: 3, padding: 1)
        conv2a.fusedReLU = true
        outputConv2a = conv2a
        outputConv2b = try scratch("output_conv2")("2").conv(out: shape.warpDim + shape.confidenceDim, in: 32, kernel: 1)
    }

    /// tokens: token maps [1, h, w, dim] (channels-last) → [1, 4h, 4w, out] channels-last.
    /// `fused` receives output_conv1's result [1, features/2, 8h, 8w] when given (tests).
    func callAsFunction(_ tokens: [Tensor], workspace: Workspace, fused: ((Tensor) -> Void)? = nil) throws -> Tensor {
        guard !tokens.isEmpty, projects.count % tokens.count == 0 else {
            throw RoMaError("DPT head: \(tokens.count) token maps for \(projects.count) levels")
        }
        let (h, w, d) = (tokens[0].shape[1], tokens[0].shape[2], tokens[0].shape[3])
        let repeats = projects.count / tokens.count
        // The LayerNorm of a token map is the same for each level that reads it: compute it once.
        let normed = try tokens.map { t in
            guard t.shape == [1, h, w, d] else { throw RoMaError("DPT head: token maps \(t.shape) and \(tokens[0].shape) differ") }
            let n = precision == .bf16   // romav2's autocast run: torch's own float layer norm, to the bit
                ? try layerNormTorch(t, weight: norm.weight, bias: norm.bias, eps: norm.eps, input: .fp32, workspace: workspace)
                : try layerNorm(t, weight: norm.weight, bias: norm.bias, eps: norm.eps, workspace: workspace)
            defer { workspace.recycle(n) }
            return try permute(n, [0, 3, 1, 2], workspace: workspace)   // [1, dim, h, w]
        }
        var levels: [Tensor] = []
        for (i, project) in projects.enumerated() {
            let p = try project(normed[i / repeats], workspace: workspace)
            let resized: Tensor
            switch i {
            case 0, 1:
                let u = upsample[i]
                resized = try transposedConv(p, level: i, workspace: workspace)
                FlopCounter.add(2 * Double(p.count) * Double(u.weight.count / u.weight.shape[0]))
                workspace.recycle(p)
            case 3:
                resized = try downsample(p, workspace: workspace)
                workspace.recycle(p)
            default:
                resized = p
            }
            levels.append(try layerRN[i](resized, workspace: workspace))
            workspace.recycle(resized)
        }
        normed.forEach(workspace.recycle)
        // refinenet4 (coarsest, no residual input) → refinenet3 → refinenet2 → refinenet1 (×2).
        var out = try fusion[3](nil, levels[3], size: (levels[2].height, levels[2].width), workspace: workspace)
        for i in [2, 1, 0] {
            let size = i > 0 ? (levels[i - 1].height, levels[i - 1].width) : (2 * levels[0].height, 2 * levels[0].width)
            let next = try fusion[i](levels[i], out, size: size, workspace: workspace)
            workspace.recycle(out)
            out = next
        }
        levels.forEach(workspace.recycle)
        let conv1 = try outputConv1(out, workspace: workspace)
        workspace.recycle(out)
        fused?(conv1)
        let side = (RoMaV2MatcherShape.patchSize / RoMaV2MatcherShape.downRatio)
        let resized = try resize(conv1, size: (side * h, side * w), precision: precision, workspace: workspace)
        workspace.recycle(conv1)
        let hidden = try outputConv2a(resized, workspace: workspace)
        workspace.recycle(resized)
        let head = try outputConv2b(hidden, workspace: workspace)
        workspace.recycle(hidden)
        let channelsLast = try permute(head, [0, 2, 3, 1])
        workspace.recycle(head)
        return channelsLast
    }

    /// A transposed convolution; at bf16 as autocast's, summed as torch's oneDNN does
    /// (`convTranspose2dBF16TorchOrder`), the output rounded.
    func transposedConv(_ x: Tensor, level i: Int, workspace: Workspace) throws -> Tensor {
        let u = upsample[i]
        guard precision == .bf16 else { return try convTranspose2d(x, weight: u.weight, bias: u.bias, stride: u.stride, workspace: workspace) }
        return try convTranspose2dBF16TorchOrder(x, taps: upsampleBF16[i], kernel: u.stride, workspace: workspace)
    }
}

/// dpt.py `FeatureFusionBlock` (+ `ResidualConvUnit`) as romav2 builds it: ReLU activations
/// (in place, which matters: the unit's skip connection adds relu(x), not x), no batch norm,
/// bilinear upsampling with align_corners True, then a 1×1 `out_conv`.
struct FusionBlock: Sendable {
    let unit1: ResidualConvUnit?
    let unit2: ResidualConvUnit
    let outConv: Conv2d
    /// `.bf16`: the convolutions as autocast's; sums and the resize of their bf16 outputs rounded.
    let precision: Precision

    init(_ r: LayerReader, features: Int, hasResidual: Bool, precision: Precision = .fp32) throws {
        self.precision = precision
        unit1 = hasResidual ? try ResidualConvUnit(r("resConfUnit1"), features: features, precision: precision) : nil
        unit2 = try ResidualConvUnit(r("resConfUnit2"), features: features, precision: precision)
        var out = try r("out_conv").conv(out: features, in: features, kernel: 1)
        out.precision = precision
        try out.useTorchOrderBF16()
        outConv = out
    }

    /// forward(previous, skip, size=): `previous` is the coarser level's output (nil for the
    /// coarsest block, whose single input is `skip`); `skip` this level's scratch features.
    func callAsFunction(_ skip: Tensor?, _ previous: Tensor, size: (Int, Int), workspace: Workspace) throws -> Tensor {
        var output = previous
        var owned = false
        if let skip, let unit1 {
            let res = try unit1(skip, workspace: workspace)
            output = try add(previous, res, workspace: workspace)
            if precision == .bf16 { _ = try BF16.round(output, into: output) }
            workspace.recycle(res)
            owned = true
        }
        let unit = try unit2(output, workspace: workspace)
        if owned { workspace.recycle(output) }
        let up = try resize(unit, size: size, precision: precision, workspace: workspace)
        workspace.recycle(unit)
        let out = try outConv(up, workspace: workspace)
        workspace.recycle(up)
        return out
    }
}

/// dpt.py's bilinear resize (align_corners True); at bf16 as torch's CPU kernel sums a bf16
/// tensor, rounded.
func resize(_ x: Tensor, size: (Int, Int), precision: Precision, workspace: Workspace) throws -> Tensor {
    guard precision == .bf16 else { return try interpolateBilinear(x, size: size, alignCorners: true, workspace: workspace) }
    return try interpolateBilinearBF16Torch(x, size: size, workspace: workspace)
}

/// relu(x) → conv1 → relu → conv2, plus relu(x) (the reference's in-place ReLU rewrites x
/// before the skip addition).
struct ResidualConvUnit: Sendable {
    let conv1: Conv2d, conv2: Conv2d
    let precision: Precision

    init(_ r: LayerReader, features: Int, precision: Precision = .fp32) throws {
        self.precision = precision
        var c1 = try r("conv1").conv(out: features, in: features, kernel: 3, padding: 1)
        var c2 = try r("conv2").conv(out: features, in: features, kernel: 3, padding: 1)
        c1.fusedReLU = true
        (c1.precision, c2.precision) = (precision, precision)
        try c1.useTorchOrderBF16()
        try c2.useTorchOrderBF16()
        (conv1, conv2) = (c1, c2)
    }

    /// x is left untouched (a new tensor is returned).
    func callAsFunction(_ x: Tensor, workspace: Workspace) throws -> Tensor {
        let activated = try relu(x, workspace: workspace)
        let hidden = try conv1(activated, workspace: workspace)
        let out = try conv2(hidden, workspace: workspace)
        workspace.recycle(hidden)
        _ = try add(out, activated, into: out)
        if precision == .bf16 { _ = try BF16.round(out, into: out) }
        workspace.recycle(activated)
        return out
    }
}
