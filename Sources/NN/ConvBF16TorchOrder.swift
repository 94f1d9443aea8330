import CKernels
import Parallel

/// The chunk of input channels torch's bf16 1×1 convolution (oneDNN 3.13's `jit_bf16_1x1`)
/// sums each output in before adding the chunks left to right: `nb_reduce_blocking` of its
/// `init_conf` (jit_avx512_core_bf16_1x1_conv_kernel.cpp, forward, blocked layout, batch 1),
/// our transcription of that heuristic. It depends on the input channels, the output channels,
/// the output height (its "spatial") and the pixel count, and on torch's thread count only
/// through `8·batch / threads ≥ 1`, true for every thread count up to 8 (romav2's runs use 2).
/// Measured against torch on 1×1 convolutions of 12² to 1280² pixels and 32 to 1024 channels
/// (0 differing outputs where any other chunk differs; docs/roma2.md, "Precision").
func torchBF16Conv1x1Chunk(inChannels ic: Int, outChannels oc: Int, outHeight oh: Int, outWidth ow: Int,
                           threads: Int = 2) -> Int {
    let spatial = oh, pixels = oh * ow
    let (smallSpatial, bigSpatial, bigReduce, bigLoad) = (10, 28, 1024, 256)
    let explicitBroadcast = (ic % 16) % 2 == 0 && 8 / threads >= 1
    var (maxRegs, minRegs) = explicitBroadcast ? (9, 6) : (30, 9)
    if explicitBroadcast && oc > 128 && oc < bigLoad && spatial > smallSpatial && spatial < bigSpatial { (maxRegs, minRegs) = (6, 5) }
    var ur = 1
    for u in stride(from: maxRegs, through: minRegs, by: -1)
    where (spatial >= 14 && spatial % u == 0) || (spatial < 14 && pixels % u == 0) {
        ur = u
        break
    }
    if ur == 1 {
        ur = min(maxRegs, pixels)
        var tail = pixels % maxRegs
        for i in stride(from: maxRegs, through: minRegs, by: -1) {
            let t = pixels % i
            if t > tail || t == 0 {
                (ur, tail) = (i, t)
                if t == 0 { break }
            }
        }
    }
    let blocks = (ic + 15) / 16
    var chunk: Int
    if explicitBroadcast {
        if oc <= bigLoad && spatial > smallSpatial && spatial < bigSpatial { chunk = min(ic, 160) }
        else if spatial > smallSpatial { chunk = min(ic, 1024) }
        else { chunk = min(ic, 512) }
    } else {
        var most = blocks
        if ic >= bigReduce { most = spatial <= smallSpatial ? 32 : 16 }
        chunk = bestDivider(blocks, most) * 16
    }
    // oneDNN's check against input cache aliasing (a 16-way 1 MB L2, 64 KB ways)
    let way = 65536 / 2, maxHits = 7, simd = 16
    if pixels * chunk > way * maxHits {
        let wayLines = way / simd, span = pixels * (chunk / simd)
        for start in 0..<ur {
            var (off, hits) = (start, 0)
            while off < span {
                if off % pixels < ur {
                    hits += 1
                    if hits >= maxHits {
                        chunk = min(chunk, simd * max(1, (off + wayLines) / pixels))
                        break
                    }
                }
                off += wayLines
            }
        }
    }
    return (chunk + 15) / 16 * 16
}

/// oneDNN's `best_divider(value, 1, most, find_max: true)`: the largest divisor candidate
/// whose rounding-up waste is smallest.
private func bestDivider(_ value: Int, _ most: Int) -> Int {
    let top = max(1, min(most, value))
    var (best, pick) = (Float.greatestFiniteMagnitude, top)
    for d in stride(from: top, through: 1, by: -1) {
        let up = (value + d - 1) / d * d
        let loss = Float(up - value) / Float(up)
        if loss < best { (best, pick) = (loss, d) }
    }
    return pick
}

/// A dense convolution's weight `[out, in, kh, kw]` rounded to bf16 and laid out for
/// `conv2dBF16TorchOrder`: K in torch's order (blocks of 16 input channels, kh, kw, the
/// channel in the block), packed in VDPBF16PS pairs; the bias rounded to bf16. Immutable.
public struct BF16PackedConv: Sendable {
    public let outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int
    /// Input channels rounded up to 16 (zero weights past `inChannels`).
    let paddedInChannels: Int
    let pairs: [UInt16]
    /// A 1×1 weight's channel pairs per output channel, [out][ceil(in/2)] (`roma_bf16_pair_weight`):
    /// the operand of the transpose-free 1×1 kernel.
    let pointPairs: [UInt32]?
    public let bias: Tensor?

    public init(weight: Tensor, bias: Tensor?) throws(NNError) {
        try check(weight.rank == 4, "conv2d", "weight must be [Cout, Cin, kh, kw], got \(weight.shape)")
        let (n, ic, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        (outChannels, inChannels, kernelH, kernelW) = (n, ic, kh, kw)
        if let bias { try check(bias.shape == [n], "conv2d", "bias \(bias.shape), expected [\(n)]") }
        paddedInChannels = (ic + 15) / 16 * 16
        let k = paddedInChannels * kh * kw
        let ordered = [Float](unsafeUninitializedCapacity: max(1, n * k)) { buffer, count in
            roma_conv_torch_weight(weight.pointer, n, ic, Int32(kh), Int32(kw), buffer.baseAddress!)
            count = n * k
        }
        let size = (n + 15) / 16 * ((k + 1) / 2) * 32
        pairs = [UInt16](unsafeUninitializedCapacity: max(1, size)) { buffer, count in
            ordered.withUnsafeBufferPointer { roma_bf16_pack_pairs($0.baseAddress!, k, n, k, buffer.baseAddress!) }
            count = max(1, size)
        }
        pointPairs = kh == 1 && kw == 1
            ? [UInt32](unsafeUninitializedCapacity: max(1, n * ((ic + 1) / 2))) { buffer, count in
                roma_bf16_pair_weight(weight.pointer, n, ic, buffer.baseAddress!)
                count = max(1, n * ((ic + 1) / 2))
            }
            : nil
        self.bias = try bias.map { b throws(NNError) in try BF16.round(b) }
    }

    /// The taps of a transposed convolution whose stride equals its kernel (weight
    /// `[in, out, k, k]`): tap (i, j) is the 1×1 convolution with weight[:, :, i, j]ᵀ.
    public static func transposedTaps(weight: Tensor, bias: Tensor?) throws(NNError) -> [BF16PackedConv] {
        try check(weight.rank == 4 && weight.shape[2] == weight.shape[3], "convTranspose2d",
                  "weight must be [Cin, Cout, k, k], got \(weight.shape)")
        let (ic, oc, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        var taps: [BF16PackedConv] = []
        for i in 0..<k {
            for j in 0..<k {
                var tap = [Float](repeating: 0, count: oc * ic)
                for o in 0..<oc { for c in 0..<ic { tap[o * ic + c] = weight.pointer[((c * oc + o) * k + i) * k + j] } }
                taps.append(try BF16PackedConv(weight: Tensor(tap, shape: [oc, ic, 1, 1]), bias: bias))
            }
        }
        return taps
    }
}

/// Output pixels per band: the band's im2col rows stay near 256 KB (L2-sized), whole tiles of 4 rows.
private func bandPixels(k: Int) -> Int { max(16, (131_072 / max(1, k)) / 4 * 4) }

/// torch's CPU autocast `F.conv2d` on bf16 operands summed as torch's oneDNN 3.13 sums it
/// (conv_bf16_torch.c): x rounded to bf16, each output's products in one fp32 chain over
/// (input-channel block of 16, kh, kw, channel pair), VDPBF16PS's pair order, 1×1 convolutions
/// in chunks of input channels (`torchBF16Conv1x1Chunk`), the bias after the products; the
/// output rounded to bf16 (then clamped at 0 when `relu`). Dense convolutions (groups 1).
public func conv2dBF16TorchOrder(_ x: Tensor, packed w: BF16PackedConv, stride: Int = 1, padding: Int = 0,
                                 relu: Bool = false, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let g = try ConvGeometry(x: x, weightShape: [w.outChannels, w.inChannels, w.kernelH, w.kernelW], stride: stride, padding: padding)
    let out = try makeOutput("conv2d", [g.batch, g.outChannels, g.outHeight, g.outWidth], into: into, workspace: workspace)
    try check(!out.overlaps(x), "conv2d", "output must not overlap the input")
    if out.count == 0 { return out }
    let pointwise = w.kernelH == 1 && w.kernelW == 1 && stride == 1 && padding == 0
    let block = pointwise
        ? torchBF16Conv1x1Chunk(inChannels: w.inChannels, outChannels: w.outChannels, outHeight: g.outHeight, outWidth: g.outWidth)
        : w.paddedInChannels * w.kernelH * w.kernelW
    let plane = g.outHeight * g.outWidth
    if pointwise, let pointPairs = w.pointPairs {
        for n in 0..<g.batch {
            pointwisePlanes(x.pointer + n * g.inChannels * plane, w, pointPairs, pixels: plane, block: block, relu: relu,
                            out: out.pointer + n * g.outChannels * plane, workspace: workspace)
        }
        return out
    }
    let rows = scratch(bf16RowsFloats(x, paddedChannels: w.paddedInChannels), workspace)
    defer { releaseScratch(rows, workspace) }
    for n in 0..<g.batch {
        bf16Rows(x, batch: n, paddedChannels: w.paddedInChannels, into: rows)
        runBands(rows, w, g: g, height: g.height, width: g.width, stride: stride, padding: padding, pixels: plane,
                 pixelWidth: g.outWidth, block: block, out: out.pointer + n * g.outChannels * plane, outPlane: plane,
                 offset: 0, sy: g.outWidth, sx: 1, relu: relu, workspace: workspace)
    }
    return out
}

/// `F.conv_transpose2d` with stride = kernel (the DPT head's ×4 and ×2 upsamplings) as
/// torch's oneDNN 3.13 (`brg_deconv`) sums it: each output pixel has one input pixel and one
/// tap, its products summed over the input channels in one chain, the bias after; rounded.
public func convTranspose2dBF16TorchOrder(_ x: Tensor, taps: [BF16PackedConv], kernel k: Int,
                                          workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank == 4 && taps.count == k * k && k >= 1, "convTranspose2d", "need \(k * k) taps for \(x.shape)")
    let (batch, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oc = taps[0].outChannels
    try check(taps[0].inChannels == c, "convTranspose2d", "taps take \(taps[0].inChannels) channels, input \(x.shape)")
    let out = try makeOutput("convTranspose2d", [batch, oc, h * k, w * k], into: nil, workspace: workspace)
    if out.count == 0 { return out }
    let g = try ConvGeometry(x: x, weightShape: [oc, c, 1, 1], stride: 1, padding: 0)
    let plane = h * k * w * k
    let rows = scratch(bf16RowsFloats(x, paddedChannels: taps[0].paddedInChannels), workspace)
    defer { releaseScratch(rows, workspace) }
    for n in 0..<batch {
        bf16Rows(x, batch: n, paddedChannels: taps[0].paddedInChannels, into: rows)
        for (t, tap) in taps.enumerated() {
            runBands(rows, tap, g: g, height: h, width: w, stride: 1, padding: 0, pixels: h * w, pixelWidth: w,
                     block: tap.paddedInChannels, out: out.pointer + n * oc * plane, outPlane: plane,
                     offset: (t / k) * w * k + t % k, sy: k * w * k, sx: k, relu: false, workspace: workspace)
        }
    }
    return out
}

/// Depthwise stride-1 `F.conv2d` (groups = channels) as torch's oneDNN 3.13 `jit_dw` sums it on
/// bf16 operands: the bias first, then the taps row by row, each product added and rounded;
/// the output rounded to bf16 (then clamped at 0 when `relu`).
public func depthwiseConv2dBF16TorchOrder(_ x: Tensor, weight: Tensor, bias: Tensor?, padding: Int, relu: Bool = false,
                                          into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let c = x.rank == 4 ? x.shape[1] : 0
    let g = try ConvGeometry(x: x, weight: weight, bias: bias, stride: 1, padding: padding, dilation: 1, groups: max(1, c))
    try check(weight.shape[1] == 1 && g.outChannels == c, "depthwiseConv2d", "weight \(weight.shape) must be [\(c), 1, kh, kw]")
    let out = try makeOutput("depthwiseConv2d", [g.batch, c, g.outHeight, g.outWidth], into: into, workspace: workspace)
    try check(!out.overlaps(x), "depthwiseConv2d", "output must not overlap the input")
    if out.count == 0 { return out }
    let rw = try BF16.round(weight), rb = try bias.map { b throws(NNError) in try BF16.round(b) }
    let planes = g.batch * c, paddedH = g.height + 2 * padding, paddedW = g.width + 2 * padding
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer), wp = SendablePointer(rw.pointer)
    let bp = rb.map { SendablePointer($0.pointer) }
    let next = JobCounter(), workers = min(max(1, Threads.count), planes)
    // one zero-bordered plane per worker; only its interior is rewritten per job
    let paddedPlanes = scratch(workers * paddedH * paddedW, workspace)
    defer { releaseScratch(paddedPlanes, workspace) }
    let pads = SendablePointer(paddedPlanes.base)
    parallelFor(workers, threads: workers) { worker in
        let padded = pads.base + worker * paddedH * paddedW
        padded.initialize(repeating: 0, count: paddedH * paddedW)
        while let job = next.take(below: planes) {
            let plane = src.base + job * g.height * g.width
            for y in 0..<g.height {
                roma_bf16_round(plane + y * g.width, padded + (y + padding) * paddedW + padding, g.width)
            }
            let o = dst.base + job * g.outHeight * g.outWidth, count = g.outHeight * g.outWidth
            roma_depthwise_bf16_torch_plane(padded, paddedW, wp.base + (job % c) * g.kernelH * g.kernelW,
                                            Int32(g.kernelH), Int32(g.kernelW), bp.map { $0[job % c] } ?? 0,
                                            g.outHeight, g.outWidth, o)
            roma_bf16_round(o, o, count)
            if relu { for i in 0..<count where o[i] < 0 { o[i] = 0 } }
        }
    }
    return out
}

/// Floats of scratch that hold one image of x as bf16 rows (`bf16Rows`).
private func bf16RowsFloats(_ x: Tensor, paddedChannels cp: Int) -> Int { max(1, (x.shape[2] * x.shape[3] * cp + 1) / 2) }

/// Image `batch` of x as rows of bf16 bit patterns [h·w][paddedChannels], written into `storage`
/// (a float buffer of `bf16RowsFloats` elements, used as 16-bit words).
private func bf16Rows(_ x: Tensor, batch n: Int, paddedChannels cp: Int, into storage: TensorStorage) {
    let (c, hw) = (x.shape[1], x.shape[2] * x.shape[3])
    let rows = UnsafeMutableRawPointer(storage.base).assumingMemoryBound(to: UInt16.self)
    let src = SendablePointer(x.pointer + n * c * hw), dst = SendablePointer(rows)
    let chunks = (hw + 255) / 256, threads = min(Threads.count, chunks)
    parallelFor(threads, threads: threads) { t in
        let p0 = min(hw, 256 * (chunks * t / threads)), p1 = min(hw, 256 * (chunks * (t + 1) / threads))
        if p0 < p1 { roma_bf16_nchw_to_rows(src.base, c, hw, cp, p0, p1, dst.base + p0 * cp) }
    }
}

/// The bands of output pixels [0, pixels), shared by the threads as they come free.
private func runBands(_ rows: TensorStorage, _ w: BF16PackedConv, g: ConvGeometry, height: Int, width: Int,
                      stride: Int, padding: Int, pixels: Int, pixelWidth: Int, block: Int, out: UnsafeMutablePointer<Float>,
                      outPlane: Int, offset: Int, sy: Int, sx: Int, relu: Bool, workspace: Workspace?) {
    let k = w.paddedInChannels * w.kernelH * w.kernelW, n = w.outChannels
    let band = bandPixels(k: k), bands = (pixels + band - 1) / band
    let workers = min(max(1, Threads.count), bands), next = JobCounter()
    let src = SendablePointer(UnsafeMutableRawPointer(rows.base).assumingMemoryBound(to: UInt16.self)), dst = SendablePointer(out)
    let needsColumns = !(w.kernelH == 1 && w.kernelW == 1 && stride == 1 && padding == 0)
    // per worker: the band's im2col rows (bf16 words) and its fp32 sums, each starting on a cache line
    let line = 16, roundUp = { (floats: Int) in (floats + line - 1) / line * line }
    let columnFloats = roundUp(needsColumns ? (band * k + 1) / 2 : 1), perWorker = columnFloats + roundUp(band * n)
    let tiles = scratch(workers * perWorker, workspace)
    defer { releaseScratch(tiles, workspace) }
    let tileBase = SendablePointer(tiles.base)
    w.pairs.withUnsafeBufferPointer { packed in
        let pp = SendableConstPointer(packed.baseAddress!)
        let pb = w.bias.map { SendablePointer($0.pointer) }
        parallelFor(workers, threads: workers) { worker in
            let tile = tileBase.base + worker * perWorker
            let a = UnsafeMutableRawPointer(tile).assumingMemoryBound(to: UInt16.self), c = tile + columnFloats
            while let job = next.take(below: bands) {
                let p0 = job * band, p1 = min(pixels, p0 + band)
                roma_conv_bf16_torch_band(src.base, height, width, w.paddedInChannels, Int32(w.kernelH), Int32(w.kernelW),
                                          Int32(stride), Int32(padding), pixelWidth, pp.base, n, block, pb?.base,
                                          p0, p1, a, c, dst.base, outPlane, offset, sy, sx, relu ? 1 : 0)
            }
        }
    }
}

/// A 1×1 convolution on NCHW planes (conv_bf16_torch.c): the input as planes of bf16 channel
/// pairs, then the pixels in chunks shared by the threads, each written straight to its planes.
private func pointwisePlanes(_ x: UnsafeMutablePointer<Float>, _ w: BF16PackedConv, _ weightPairs: [UInt32], pixels hw: Int,
                             block: Int, relu: Bool, out: UnsafeMutablePointer<Float>, workspace: Workspace?) {
    let (c, n, pairs) = (w.inChannels, w.outChannels, (w.inChannels + 1) / 2)
    // pairs·hw 32-bit words: a float tensor's storage (pooled), read and written only by the C kernels as words
    let storage = workspace?.tensor([max(1, pairs * hw)]) ?? Tensor(uninitialized: [max(1, pairs * hw)])
    defer { workspace?.recycle(storage) }
    let planes = SendablePointer(UnsafeMutableRawPointer(storage.pointer).assumingMemoryBound(to: UInt32.self))
    let (src, dst) = (SendablePointer(x), SendablePointer(out))
    let chunk = 1024, chunks = (hw + chunk - 1) / chunk
    let workers = min(max(1, Threads.count), chunks)
    let convert = JobCounter()
    parallelFor(workers, threads: workers) { _ in
        while let job = convert.take(below: chunks) {
            roma_bf16_pair_planes(src.base, c, hw, job * chunk, min(hw, (job + 1) * chunk), planes.base)
        }
    }
    let next = JobCounter()
    weightPairs.withUnsafeBufferPointer { wp in
        let pw = SendableConstPointer(wp.baseAddress!)
        let pb = w.bias.map { SendablePointer($0.pointer) }
        parallelFor(workers, threads: workers) { _ in
            while let job = next.take(below: chunks) {
                roma_conv1x1_bf16_torch_planes(planes.base, pairs, hw, pw.base, n, block / 2, pb?.base, relu ? 1 : 0,
                                               job * chunk, min(hw, (job + 1) * chunk), dst.base)
            }
        }
    }
}

/// torch's eval `batch_norm` on a bf16 tensor with float statistics (the refiners' norms under
/// autocast), in place, to the bit: per channel alpha = (1/√(var + eps))·γ, beta = β − mean·alpha
/// (one rounding), then bf16(fma(x, alpha, beta)). Measured against torch's output in Python
/// (x·scale + shift with scale = γ/√(var + eps), our `batchNorm`, differs on ~1e-5 of values).
public func batchNormTorchBF16(_ x: Tensor, _ bn: BatchNormParameters) throws(NNError) -> Tensor {
    try check(x.rank >= 2, "batchNorm", "input must be [N, C, ...], got \(x.shape)")
    let c = x.shape[1]
    try bn.validate("batchNorm", channels: c)
    let plane = x.count / max(1, x.shape[0] * c)
    var alpha = [Float](repeating: 0, count: c), beta = alpha
    for ch in 0..<c {
        let invstd = 1 / (bn.variance.pointer[ch] + bn.eps).squareRoot()
        alpha[ch] = invstd * bn.gamma.pointer[ch]
        beta[ch] = bn.beta.pointer[ch].addingProduct(-bn.mean.pointer[ch], alpha[ch])
    }
    let data = SendablePointer(x.pointer), (a, b) = (alpha, beta)
    parallelFor(x.shape[0] * c) { job in
        roma_batchnorm_bf16_torch_plane(data.base + job * plane, plane, a[job % c], b[job % c])
    }
    return x
}
