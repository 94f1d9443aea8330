import NN

// Parameter bundles for the layer kinds RoMa's checkpoints hold. They exist so
// `LayerReader` (Weights.swift) can bind official keys to typed layers; the work
// is done by the NN runtime's operators, and each call adds its multiply-adds to
// `FlopCounter` for the benchmark.

/// A 2-D convolution (torch weight layout `out × in/groups × k × k`), with any
/// batch norm that follows it folded in.
struct Conv2d: Sendable {
    let stride: Int
    let padding: Int
    let groups: Int
    var weight: Tensor { didSet { winograd = nil } }
    var bias: Tensor
    /// Winograd's filter transform of `weight`, computed once by `precomputeWinograd()`.
    private(set) var winograd: WinogradFilter?
    /// ReLU after the convolution (the refiners' depthwise conv + BN + ReLU).
    var fusedReLU = false
    /// `.bf16`: the convolution as torch's CPU autocast runs it (NN's `Precision`). Set
    /// before `fold`: at bf16 the batch norm is kept apart, as torch applies it to the
    /// conv's bf16 output (folding would round other weights).
    var precision: Precision = .fp32
    /// The batch norm after a bf16 convolution; its output is a bf16 tensor in torch.
    var batchNorm: BatchNorm?
    /// At `.bf16`, sum as torch 2.15's oneDNN does, and a batch norm after it as torch's CPU
    /// kernel computes it (`useTorchOrderBF16()`; RoMa v2).
    private(set) var torchOrderBF16 = false
    /// The dense weight packed for that order once, at load.
    private(set) var packedBF16: BF16PackedConv?

    init(outChannels: Int, inChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
         weight: [Float], bias: [Float]?) {
        self.stride = stride
        self.padding = padding
        self.groups = groups
        self.weight = Tensor(weight, shape: [outChannels, inChannels / groups, kernel, kernel])
        self.bias = Tensor(bias ?? [Float](repeating: 0, count: outChannels), shape: [outChannels])
    }

    mutating func fold(_ bn: BatchNorm) throws {
        if precision == .bf16 {
            batchNorm = bn
        } else {
            (weight, bias) = try foldBatchNorm(weight: weight, bias: bias, bn)
        }
    }

    /// From now on a `.bf16` convolution sums as torch's bf16 convolution on CPU, to the bit
    /// (NN's `conv2dBF16TorchOrder`, `depthwiseConv2dBF16TorchOrder`); a dense weight is packed
    /// here, once. Call once the weight is final (after `fold`).
    mutating func useTorchOrderBF16() throws {
        guard precision == .bf16 else { return }
        torchOrderBF16 = true
        if groups == 1 { packedBF16 = try BF16PackedConv(weight: weight, bias: bias) }
    }

    /// At fp32, a 3×3 convolution that runs as Winograd (VGG's) keeps its filter transform
    /// from now on instead of computing it on every call (NN's `WinogradFilter`; same bits).
    /// Call once the weight is final (after `fold`); changing `weight` drops it.
    mutating func precomputeWinograd() {
        guard precision == .fp32, batchNorm == nil, stride == 1, groups == 1 else { return }
        winograd = WinogradFilter(weight: weight)
    }

    /// x `[N, Cin, H, W]` → `[N, Cout, Ho, Wo]`; written into `into` when given, else output and
    /// scratch from `workspace` when given.
    func callAsFunction(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws -> Tensor {
        // Without a separate batch norm the ReLU goes into the convolution (Winograd writes it with the output).
        let reluInConv = fusedReLU && batchNorm == nil
        var y: Tensor
        if torchOrderBF16, precision == .bf16, let packedBF16 {
            y = try conv2dBF16TorchOrder(x, packed: packedBF16, stride: stride, padding: padding, relu: reluInConv,
                                         into: into, workspace: workspace)
        } else if torchOrderBF16, precision == .bf16, stride == 1, groups == weight.shape[0], weight.shape[1] == 1 {
            y = try depthwiseConv2dBF16TorchOrder(x, weight: weight, bias: bias, padding: padding, relu: reluInConv,
                                                  into: into, workspace: workspace)
        } else if let winograd, precision == .fp32 {
            y = try conv2d(x, weight: weight, bias: bias, padding: padding, winograd: winograd, into: into, workspace: workspace,
                           relu: reluInConv)
        } else {
            y = try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, groups: groups, into: into,
                           workspace: workspace, precision: precision, relu: reluInConv)
        }
        FlopCounter.add(2 * Double(y.count) * Double(weight.count / weight.shape[0]))
        if let batchNorm {
            y = torchOrderBF16 ? try batchNormTorchBF16(y, batchNorm)
                               : try BF16.round(NN.batchNorm(y, batchNorm, into: y), into: y)
        }
        return fusedReLU && !reluInConv ? try relu(y, into: y) : y
    }
}

/// Inference-mode batch norm statistics as the checkpoint stores them.
typealias BatchNorm = BatchNormParameters

extension BatchNormParameters {
    init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float]) {
        let c = [gamma.count]
        self.init(gamma: Tensor(gamma, shape: c), beta: Tensor(beta, shape: c),
                  mean: Tensor(mean, shape: c), variance: Tensor(variance, shape: c))
    }
}

/// `nn.Linear`, weight `out × in`.
struct Linear: Sendable {
    /// The fp32 weight, nil once `packBF16()` replaced it.
    private(set) var fp32Weight: Tensor?
    let bias: Tensor?
    let outFeatures: Int
    /// `.bf16`: as torch's CPU autocast runs it (NN's `Precision`).
    var precision: Precision = .fp32
    /// At `.bf16`, sum as torch's bf16 `F.linear` does (`linearBF16TorchOrder`; RoMa v2).
    var torchOrderBF16 = false
    /// The weight rounded to bf16 and packed for `linearBF16TorchOrder` once, at load
    /// (`packBF16()`; RoMa v2 at `.bf16`), instead of on every call.
    private(set) var packedBF16: BF16PackedLinear?

    init(inFeatures: Int, outFeatures: Int, weight: [Float], bias: [Float]?) {
        fp32Weight = Tensor(weight, shape: [outFeatures, inFeatures])
        self.bias = bias.map { Tensor($0, shape: [outFeatures]) }
        self.outFeatures = outFeatures
    }

    /// The weight `out × in` in float32, for the fp32 and the other bf16 paths; a packed
    /// linear no longer holds it (its only path is torch's bf16 order).
    var weight: Tensor {
        guard let fp32Weight else { preconditionFailure("Linear: the fp32 weight was replaced by its packed bf16 form (packBF16)") }
        return fp32Weight
    }

    /// Runs in torch's bf16 order from now on, with the weight packed once here; the fp32
    /// weight is dropped (RoMa v2's bf16 models need nothing else of it: half the bytes).
    mutating func packBF16() throws {
        guard packedBF16 == nil else { return }
        packedBF16 = try BF16PackedLinear(weight: weight, bias: bias)
        fp32Weight = nil
        (precision, torchOrderBF16) = (.bf16, true)
    }

    /// x `[..., in]` → `[..., out]`.
    func callAsFunction(_ x: Tensor, workspace: Workspace? = nil) throws -> Tensor {
        FlopCounter.add(2 * Double(x.count) * Double(outFeatures))
        if let packedBF16 { return try linearBF16TorchOrder(x, packed: packedBF16, workspace: workspace) }
        if precision == .bf16 && torchOrderBF16 { return try linearBF16TorchOrder(x, weight: weight, bias: bias, workspace: workspace) }
        return try linear(x, weight: weight, bias: bias, workspace: workspace, precision: precision)
    }
}

/// `nn.LayerNorm` over the last dimension.
struct LayerNorm: Sendable {
    let weight: Tensor
    let bias: Tensor
    let eps: Float

    init(weight: [Float], bias: [Float], eps: Float) {
        self.weight = Tensor(weight, shape: [weight.count])
        self.bias = Tensor(bias, shape: [bias.count])
        self.eps = eps
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try layerNorm(x, weight: weight, bias: bias, eps: eps)
    }
}
