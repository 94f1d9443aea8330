import CKernels
import Parallel

/// torch.nn.functional.conv2d on NCHW input.
/// x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout] → [N, Cout, Ho, Wo]
/// with Ho = (H + 2·padding − dilation·(kh−1) − 1) / stride + 1 (likewise Wo).
///
/// Dense and grouped convolutions run as im2col + `GEMM.sgemm` (1×1 stride-1
/// convolutions skip im2col: the input already is the column matrix); depthwise ones
/// (groups == Cin, one input channel per group) run as a direct vectorised loop,
/// because a GEMM with K = kh·kw is too thin to pay. Dense 3×3 stride-1 convolutions
/// with enough channels (VGG's) run as Winograd F(2×2, 3×3) (Winograd.swift).
///
/// `algorithm` overrides that choice for 3×3 convolutions (tests, benchmarks).
/// `precision: .bf16` computes it as torch's CPU autocast does (Precision.swift, ConvBF16.swift).
/// `relu: true` returns relu(conv2d(…)); the Winograd path applies it as it writes the output.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1,
                   into: Tensor? = nil, workspace: Workspace? = nil,
                   algorithm: ConvAlgorithm = .automatic, precision: Precision = .fp32, relu: Bool = false) throws(NNError) -> Tensor {
    try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
               into: into, workspace: workspace, columnBudget: defaultColumnBudget, minimumBandColumns: defaultMinimumBandColumns,
               algorithm: algorithm, precision: precision, relu: relu)
}

/// How `conv2d` computes a dense convolution.
public enum ConvAlgorithm: Sendable {
    /// Winograd for 3×3 / stride 1 / dilation 1 / groups 1 with ≥ 16 input and output channels, else im2col.
    case automatic
    /// im2col + GEMM (or the direct depthwise loop) whatever the shape.
    case im2col
    /// Winograd F(2×2, 3×3); throws for any other shape.
    case winograd
}

/// `conv2d` with explicit column-band limits (floats; columns), so tests can force banding on small inputs,
/// and the Winograd band budget (floats of transformed input and product per band).
func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int,
            into: Tensor?, workspace: Workspace?, columnBudget: Int, minimumBandColumns: Int,
            algorithm: ConvAlgorithm = .automatic, winogradBandBudget: Int = defaultWinogradBandBudget,
            precision: Precision = .fp32, bf16Backend: BF16.Backend? = nil, relu fusedReLU: Bool = false) throws(NNError) -> Tensor {
    let g = try ConvGeometry(x: x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    if algorithm == .winograd {
        try check(winogradSupports(g), "conv2d", "Winograd needs a dense 3×3 kernel, stride 1, dilation 1, groups 1; got "
                  + "\(g.kernelH)×\(g.kernelW), stride \(stride), dilation \(dilation), groups \(groups)")
    }
    let out = try makeOutput("conv2d", [g.batch, g.outChannels, g.outHeight, g.outWidth], into: into, workspace: workspace)
    try check(!out.overlaps(x), "conv2d", "output must not overlap the input")
    if out.count == 0 { return out }
    if precision == .bf16 {
        try bf16Conv2d(x, weight, bias, g, out, workspace, columnBudget: columnBudget, minimumBandColumns: minimumBandColumns,
                       algorithm: algorithm, winogradBandBudget: winogradBandBudget, backend: bf16Backend ?? BF16.backend)
    } else if algorithm == .winograd || (algorithm == .automatic && winogradApplies(g)) {
        winogradConv2d(x, weight, bias, g, out, workspace, relu: fusedReLU, bandBudget: winogradBandBudget)
        return out
    } else if g.inChannelsPerGroup == 1 && groups > 1 {
        depthwiseConv2d(x, weight, bias, g, out, relu: fusedReLU)
        return out
    } else {
        gemmConv2d(x, weight, bias, g, out, workspace, columnBudget: columnBudget, minimumBandColumns: minimumBandColumns)
    }
    return fusedReLU ? try relu(out, into: out) : out
}

/// Shapes of one convolution, validated once at the boundary.
struct ConvGeometry {
    let batch, inChannels, height, width: Int
    let outChannels, kernelH, kernelW: Int
    let stride, padding, dilation, groups: Int
    let outHeight, outWidth: Int
    var inChannelsPerGroup: Int { inChannels / groups }
    var outChannelsPerGroup: Int { outChannels / groups }

    init(x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int) throws(NNError) {
        try self.init(x: x, weightShape: weight.shape, biasShape: bias?.shape, stride: stride, padding: padding,
                      dilation: dilation, groups: groups)
    }

    init(x: Tensor, weightShape: [Int], biasShape: [Int]? = nil, stride: Int, padding: Int, dilation: Int = 1,
         groups: Int = 1) throws(NNError) {
        try check(x.rank == 4, "conv2d", "input must be [N, C, H, W], got \(x.shape)")
        try check(weightShape.count == 4, "conv2d", "weight must be [Cout, Cin/groups, kh, kw], got \(weightShape)")
        try check(stride >= 1 && padding >= 0 && dilation >= 1 && groups >= 1, "conv2d",
                  "invalid stride \(stride), padding \(padding), dilation \(dilation) or groups \(groups)")
        batch = x.shape[0]; inChannels = x.shape[1]; height = x.shape[2]; width = x.shape[3]
        outChannels = weightShape[0]; kernelH = weightShape[2]; kernelW = weightShape[3]
        try check(inChannels % groups == 0 && outChannels % groups == 0, "conv2d",
                  "channels in \(inChannels) and out \(outChannels) must both divide by groups \(groups)")
        try check(weightShape[1] == inChannels / groups, "conv2d",
                  "weight \(weightShape) expects \(weightShape[1] * groups) input channels, input \(x.shape) has \(inChannels)")
        if let biasShape { try check(biasShape == [outChannels], "conv2d", "bias \(biasShape), expected [\(outChannels)]") }
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        let spanH = dilation * (kernelH - 1) + 1, spanW = dilation * (kernelW - 1) + 1
        try check(height + 2 * padding >= spanH && width + 2 * padding >= spanW, "conv2d",
                  "kernel \(kernelH)×\(kernelW) (dilation \(dilation)) larger than padded input \(x.shape)")
        outHeight = (height + 2 * padding - spanH) / stride + 1
        outWidth = (width + 2 * padding - spanW) / stride + 1
    }
}

// MARK: Dense and grouped: im2col + GEMM

/// Columns are built for a band of output rows at a time so the column matrix stays
/// cache-sized (a 3×3 conv over 64 channels at 560×560 would need 720 MB at once).
let defaultColumnBudget = 1 << 20  // floats per column band (4 MB)
/// ...but at least this many columns per band: a thinner GEMM (small N) runs well below peak.
let defaultMinimumBandColumns = 1024

func gemmConv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ g: ConvGeometry, _ out: Tensor, _ workspace: Workspace?,
                columnBudget: Int, minimumBandColumns: Int, precision: Precision = .fp32) {
    let cinG = g.inChannelsPerGroup, coutG = g.outChannelsPerGroup
    let kdim = cinG * g.kernelH * g.kernelW
    let plane = g.outHeight * g.outWidth
    let pointwise = g.kernelH == 1 && g.kernelW == 1 && g.stride == 1 && g.padding == 0
    let fewestRows = (minimumBandColumns + g.outWidth - 1) / g.outWidth
    let bandRows = pointwise ? g.outHeight : min(g.outHeight, max(fewestRows, columnBudget / max(1, kdim * g.outWidth)))
    let cols = pointwise ? nil : scratch(kdim * bandRows * g.outWidth, workspace)
    defer { if let cols { releaseScratch(cols, workspace) } }

    for n in 0..<g.batch {
        let outBatch = out.pointer + n * g.outChannels * plane
        fillChannels(outBatch, channels: g.outChannels, plane: plane, bias: bias)
        for group in 0..<g.groups {
            let input = x.pointer + (n * g.inChannels + group * cinG) * g.height * g.width
            let w = weight.pointer + group * coutG * kdim
            let y = outBatch + group * coutG * plane
            var row0 = 0
            while row0 < g.outHeight {
                let rows = min(bandRows, g.outHeight - row0)
                let columns = rows * g.outWidth
                let b: UnsafeMutablePointer<Float>
                if let cols {
                    im2col(input, g, channels: cinG, firstRow: row0, rows: rows, into: cols.base)
                    b = cols.base
                } else {
                    b = input
                }
                GEMM.sgemm(m: coutG, n: columns, k: kdim, a: w, lda: kdim, b: b, ldb: columns,
                           beta: bias == nil ? 0 : 1, c: y + row0 * g.outWidth, ldc: plane, precision: precision)
                row0 += rows
            }
        }
    }
}

/// Writes bias[c] over each channel plane (nothing when there is no bias: the GEMM then uses beta = 0).
private func fillChannels(_ p: UnsafeMutablePointer<Float>, channels: Int, plane: Int, bias: Tensor?) {
    guard let bias else { return }
    // On all threads: a refiner's 1×1 output is ~100 MB, and one thread writes it at half the machine's bandwidth.
    let dst = SendablePointer(p), b = SendablePointer(bias.pointer)
    parallelChunks(channels * plane) { begin, end in
        var i = begin
        while i < end {
            let c = i / plane, stop = min(end, (c + 1) * plane)
            (dst.base + i).update(repeating: b[c], count: stop - i)
            i = stop
        }
    }
}

/// Column matrix [channels·kh·kw, rows·Wo] for output rows firstRow..<firstRow+rows;
/// out-of-image taps are zero (zero padding).
private func im2col(_ input: UnsafeMutablePointer<Float>, _ g: ConvGeometry, channels: Int, firstRow: Int, rows: Int,
                    into cols: UnsafeMutablePointer<Float>) {
    let src = SendablePointer(input), dst = SendablePointer(cols)
    let kh = g.kernelH, kw = g.kernelW, H = g.height, W = g.width, Wo = g.outWidth
    let s = g.stride, p = g.padding, d = g.dilation
    let width = rows * Wo
    parallelFor(channels * kh * kw) { r in
        let c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw
        let plane = src.base + c * H * W
        let line = dst.base + r * width
        // Output columns whose tap lands inside the image: 0 <= ox*s - p + kj*d < W.
        let shift = kj * d - p
        let oxBegin = min(Wo, max(0, (-shift + s - 1) / s))
        let oxEnd = max(oxBegin, min(Wo, (W - shift + s - 1) / s))
        for oy in 0..<rows {
            let iy = (firstRow + oy) * s - p + ki * d
            let o = line + oy * Wo
            if iy < 0 || iy >= H {
                o.update(repeating: 0, count: Wo)
                continue
            }
            let srcRow = plane + iy * W
            if oxBegin > 0 { o.update(repeating: 0, count: oxBegin) }
            if s == 1 {
                (o + oxBegin).update(from: srcRow + oxBegin + shift, count: oxEnd - oxBegin)
            } else {
                for ox in oxBegin..<oxEnd { o[ox] = srcRow[ox * s + shift] }
            }
            if oxEnd < Wo { (o + oxEnd).update(repeating: 0, count: Wo - oxEnd) }
        }
    }
}

// MARK: Depthwise: direct loop

/// One output channel per plane; output channel oc reads input channel oc / multiplier.
/// Stride 1 (RoMa's refiners) copies each input plane into a zero-padded buffer so
/// the tap loop needs no bounds checks, and accumulates a vector of outputs in
/// registers over all kh·kw taps before storing it once.
/// `relu`: each plane goes through ReLU as soon as it is written, while it is still in cache
/// (a separate pass over the whole output costs a read and a write of it from memory).
/// `inputBias` (stride 1 only): inputBias[c] is added to input channel c as it is copied
/// into the padded plane, i.e. the convolution of x + inputBias with zero padding.
func depthwiseConv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ g: ConvGeometry, _ out: Tensor, relu: Bool = false,
                     inputBias: Tensor? = nil) {
    precondition(inputBias == nil || g.stride == 1, "depthwiseConv2d: an input bias needs stride 1")
    let planes = g.batch * g.outChannels
    let workers = min(max(1, Threads.count), planes)
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer), wp = SendablePointer(weight.pointer)
    let bp = bias.map { SendablePointer($0.pointer) }, ib = inputBias.map { SendablePointer($0.pointer) }
    let multiplier = g.outChannels / g.inChannels
    let paddedH = g.height + 2 * g.padding, paddedW = g.width + 2 * g.padding
    let next = JobCounter()
    parallelFor(workers, threads: workers) { _ in
        // One padded buffer per worker, reused for all its planes.
        let padded = g.stride == 1 ? UnsafeMutablePointer<Float>.allocate(capacity: paddedH * paddedW) : nil
        defer { padded?.deallocate() }
        padded?.initialize(repeating: 0, count: paddedH * paddedW)
        // Planes go to whichever thread is free (not a fixed half each): under load one
        // thread may be descheduled for a while, and the other keeps going.
        while let job = next.take(below: planes) {
            let n = job / g.outChannels, oc = job % g.outChannels
            let plane = src.base + (n * g.inChannels + oc / multiplier) * g.height * g.width
            let o = dst.base + job * g.outHeight * g.outWidth
            let w = wp.base + oc * g.kernelH * g.kernelW
            let b = bp.map { $0[oc] } ?? 0
            if let padded {
                if let ib {
                    let shift = ib[oc / multiplier]
                    for y in 0..<g.height {
                        let row = padded + (y + g.padding) * paddedW + g.padding, line = plane + y * g.width
                        for i in 0..<g.width { row[i] = line[i] + shift }
                    }
                } else {
                    for y in 0..<g.height {
                        (padded + (y + g.padding) * paddedW + g.padding).update(from: plane + y * g.width, count: g.width)
                    }
                }
                depthwisePlaneStride1(padded, paddedW: paddedW, w, b, g, o, relu: relu)
            } else {
                depthwisePlaneStrided(plane, w, b, g, o)
                if relu { reluInPlace(o, g.outHeight * g.outWidth) }
            }
        }
    }
}

/// Stride-1 plane from a zero-padded input: out[oy, ox] = b + Σ w[ki, kj]·in[oy + ki·d, ox + kj·d].
/// The loop is C (`roma_depthwise_plane_s1`): with FMA and 8- or 16-wide vectors
/// where the CPU has them it runs about twice as fast as Swift's baseline SIMD.
@inline(__always)
private func depthwisePlaneStride1(_ input: UnsafeMutablePointer<Float>, paddedW: Int, _ w: UnsafeMutablePointer<Float>,
                                   _ b: Float, _ g: ConvGeometry, _ o: UnsafeMutablePointer<Float>, relu: Bool) {
    roma_depthwise_plane_s1(input, paddedW, w, Int32(g.kernelH), Int32(g.kernelW), Int32(g.dilation), b,
                            g.outHeight, g.outWidth, o, relu ? 1 : 0)
}

/// Any stride, straight from the unpadded input: taps outside the image are skipped.
private func depthwisePlaneStrided(_ plane: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>, _ b: Float,
                                   _ g: ConvGeometry, _ o: UnsafeMutablePointer<Float>) {
    let kh = g.kernelH, kw = g.kernelW, H = g.height, W = g.width, Ho = g.outHeight, Wo = g.outWidth
    let s = g.stride, p = g.padding, d = g.dilation
    o.update(repeating: b, count: Ho * Wo)
    for oy in 0..<Ho {
        let orow = o + oy * Wo
        for ki in 0..<kh {
            let iy = oy * s - p + ki * d
            if iy < 0 || iy >= H { continue }
            for kj in 0..<kw {
                let shift = kj * d - p
                let oxBegin = min(Wo, max(0, (-shift + s - 1) / s))
                let oxEnd = max(oxBegin, min(Wo, (W - shift + s - 1) / s))
                let weightValue = w[ki * kw + kj]
                let irow = plane + iy * W + shift
                for ox in oxBegin..<oxEnd { orow[ox] += weightValue * irow[ox * s] }
            }
        }
    }
}
