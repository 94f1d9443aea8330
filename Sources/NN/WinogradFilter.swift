/// Winograd's filter transform U = G g Gᵀ of one dense 3×3 convolution's weight
/// (Winograd.swift), computed once when a model binds its weights instead of on every
/// call: for RoMa v1's VGG19 that was 0.45 % of a full-size match's CPU samples, plus
/// 0.50 % clearing the fresh pages U was written to (docs/runtime.md, "VGG's 3×3
/// convolutions"). Costs 16/9 of the weight's memory (VGG19's 3×3 layers after the
/// first: 75 MB), held for the model's lifetime.
public struct WinogradFilter: Sendable {
    /// U [16, Cout, Cin]: element e of the transformed 4×4 tile, for every (co, ci).
    let transformed: Tensor
    public let outChannels: Int, inChannels: Int

    /// nil unless `conv2d`'s automatic choice would take Winograd for this weight at fp32
    /// (3×3, ≥ 16 input and output channels; stride, dilation and groups are the caller's:
    /// `conv2d(_:weight:bias:padding:winograd:…)` has stride 1, dilation 1 and one group).
    public init?(weight: Tensor) {
        guard weight.rank == 4, weight.shape[2] == 3, weight.shape[3] == 3,
              weight.shape[0] >= winogradMinimumOutChannels, weight.shape[1] >= winogradMinimumInChannels else { return nil }
        (outChannels, inChannels) = (weight.shape[0], weight.shape[1])
        transformed = Tensor(uninitialized: [16, outChannels, inChannels])
        transformFilters(weight.pointer, into: transformed.pointer, outChannels: outChannels, inChannels: inChannels)
    }
}

/// `conv2d(x, weight:, bias:, padding:, relu:)` at fp32 by Winograd with `weight`'s filter
/// transform computed beforehand (`WinogradFilter(weight:)`): the same arithmetic, bit for
/// bit, as the automatic path, without transforming the filters again. Stride 1,
/// dilation 1, one group.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, padding: Int = 0, winograd filter: WinogradFilter,
                   into: Tensor? = nil, workspace: Workspace? = nil, relu: Bool = false) throws(NNError) -> Tensor {
    let g = try ConvGeometry(x: x, weight: weight, bias: bias, stride: 1, padding: padding, dilation: 1, groups: 1)
    try check(filter.outChannels == g.outChannels && filter.inChannels == g.inChannels && winogradSupports(g), "conv2d",
              "Winograd filter transform for \(filter.outChannels)×\(filter.inChannels)×3×3, weight \(weight.shape)")
    let out = try makeOutput("conv2d", [g.batch, g.outChannels, g.outHeight, g.outWidth], into: into, workspace: workspace)
    try check(!out.overlaps(x), "conv2d", "output must not overlap the input")
    if out.count == 0 { return out }
    winogradConv2d(x, weight, bias, g, out, workspace, relu: relu, filter: filter)
    return out
}
