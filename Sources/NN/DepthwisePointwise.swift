import CKernels
import Foundation
import Parallel

/// A depthwise k×k convolution (stride 1, any padding and dilation), an optional ReLU,
/// then a 1×1 convolution: the block of RoMa's refiners (batch norm folded into the
/// depthwise weights by the caller). The same result as `conv2d` (groups = C),
/// `relu` and `conv2d` (1×1) in turn, up to float32 reordering inside the 1×1 GEMM.
///
/// Why fused: the hidden map between the two convolutions is as large as the input
/// (C·H·W floats, 100 MB at RoMa's stride-4 refiner), and run apart it is written by
/// the depthwise pass, read and written by the ReLU, then read by the GEMM, all from
/// memory. Here each thread takes a band of output rows, computes the depthwise + ReLU
/// of every channel for that band into a cache-sized panel [C, rows·Wo], and runs the
/// 1×1 GEMM on that panel on its own thread, so the hidden map never leaves the cache;
/// bands go to whichever thread is free, with no barrier between the two steps.
///
/// x `[N, C, H, W]`, depthwiseWeight `[C, 1, kh, kw]`, depthwiseBias `[C]`,
/// pointwiseWeight `[Cout, C, 1, 1]`, pointwiseBias `[Cout]` → `[N, Cout, Ho, Wo]`.
/// `bandColumns`: output columns (rows·Wo) per band at least; nil: `fusedBandColumns(channels:)`
/// (tests force small bands). Pays off on thin maps only (`depthwisePointwiseMaxChannels`).
/// Throws when the GEMM backend cannot run on the calling thread (OpenBLAS): callers
/// check `depthwisePointwiseAvailable` and run the three ops apart there.
public func depthwisePointwise(_ x: Tensor, depthwiseWeight: Tensor, depthwiseBias: Tensor, padding: Int, dilation: Int = 1,
                               relu: Bool, pointwiseWeight: Tensor, pointwiseBias: Tensor?,
                               bandColumns: Int? = nil) throws(NNError) -> Tensor {
    let c = x.rank == 4 ? x.shape[1] : 0
    let g = try ConvGeometry(x: x, weight: depthwiseWeight, bias: depthwiseBias, stride: 1, padding: padding,
                             dilation: dilation, groups: max(1, c))
    try check(g.outChannels == c, "depthwisePointwise", "depthwise weight \(depthwiseWeight.shape) must be [\(c), 1, kh, kw]")
    try check(pointwiseWeight.rank == 4 && pointwiseWeight.shape[1] == c && pointwiseWeight.shape[2] == 1
              && pointwiseWeight.shape[3] == 1, "depthwisePointwise",
              "pointwise weight \(pointwiseWeight.shape) must be [Cout, \(c), 1, 1]")
    let cout = pointwiseWeight.shape[0]
    if let pointwiseBias {
        try check(pointwiseBias.shape == [cout], "depthwisePointwise", "pointwise bias \(pointwiseBias.shape), expected [\(cout)]")
    }
    try check(depthwisePointwiseAvailable, "depthwisePointwise", "needs a GEMM backend that runs on the calling thread")
    let (ho, wo) = (g.outHeight, g.outWidth)
    let out = Tensor(uninitialized: [g.batch, cout, ho, wo])
    if out.count == 0 { return out }
    // At least `bandColumns` columns per band, but enough bands to keep every thread busy.
    let threads = max(1, Threads.count)
    let wanted = ((bandColumns ?? fusedBandColumns(channels: c)) + wo - 1) / wo
    let even = (ho + 4 * threads - 1) / (4 * threads)
    let bandRows = max(1, min(ho, g.batch >= 4 * threads ? wanted : min(wanted, even)))
    let bands = (ho + bandRows - 1) / bandRows
    let jobs = g.batch * bands
    let workers = min(threads, jobs)
    let paddedW = g.width + 2 * padding
    let paddedRows = bandRows + (g.kernelH - 1) * dilation
    let plane = ho * wo

    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let dww = SendablePointer(depthwiseWeight.pointer), dwb = SendablePointer(depthwiseBias.pointer)
    let pww = SendablePointer(pointwiseWeight.pointer), pwb = pointwiseBias.map { SendablePointer($0.pointer) }
    let next = JobCounter()
    parallelFor(workers, threads: workers) { _ in
        // Per worker: the zero-padded rows of one channel, and the band's hidden panel
        // (large panels come from MappedPages, so repeated calls reuse their pages).
        let padded = TensorStorage(capacity: paddedRows * paddedW)
        padded.base.initialize(repeating: 0, count: paddedRows * paddedW)
        let panel = TensorStorage(capacity: c * bandRows * wo)
        while let job = next.take(below: jobs) {
            let n = job / bands, row0 = job % bands * bandRows
            let rows = min(bandRows, ho - row0), columns = rows * wo
            let input = src.base + n * c * g.height * g.width
            for ch in 0..<c {
                let inPlane = input + ch * g.height * g.width
                // Padded row r holds input row row0 + r − padding (zero outside the image);
                // the padding columns stay zero from the initial fill.
                for r in 0..<(rows + (g.kernelH - 1) * dilation) {
                    let iy = row0 + r - padding
                    let line = padded.base + r * paddedW
                    if iy >= 0 && iy < g.height {
                        (line + padding).update(from: inPlane + iy * g.width, count: g.width)
                    } else {
                        line.update(repeating: 0, count: paddedW)
                    }
                }
                let hidden = panel.base + ch * columns
                roma_depthwise_plane_s1(padded.base, paddedW, dww.base + ch * g.kernelH * g.kernelW, Int32(g.kernelH),
                                        Int32(g.kernelW), Int32(dilation), dwb[ch], rows, wo, hidden, relu ? 1 : 0)
            }
            let y = dst.base + n * cout * plane + row0 * wo
            if let pwb {
                for oc in 0..<cout { (y + oc * plane).update(repeating: pwb[oc], count: columns) }
            }
            GEMM.sgemmOnCallingThread(m: cout, n: columns, k: c, a: pww.base, lda: c, b: panel.base, ldb: columns,
                                      beta: pwb == nil ? 0 : 1, c: y, ldc: plane)
        }
        withExtendedLifetime((padded, panel)) {}
    }
    return out
}

/// relu?(depthwise k×k conv of (x + inputBias)), stride 1, zero padding: a depthwise conv
/// whose input still lacks its per-channel bias. RoMa's refiners chain depthwise and 1×1
/// convs; leaving the 1×1's bias out (its GEMM then neither starts from a bias-filled output
/// nor reads it back) and adding it here, as each plane is copied into the padded buffer
/// the loop makes anyway, saves a write and a read of a ~100 MB map per block.
/// x `[N, C, H, W]`, inputBias `[C]`, weight `[C, 1, kh, kw]`, bias `[C]` → `[N, C, Ho, Wo]`.
public func depthwiseConv2d(_ x: Tensor, inputBias: Tensor, weight: Tensor, bias: Tensor?, padding: Int, dilation: Int = 1,
                            relu: Bool, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let c = x.rank == 4 ? x.shape[1] : 0
    let g = try ConvGeometry(x: x, weight: weight, bias: bias, stride: 1, padding: padding, dilation: dilation, groups: max(1, c))
    try check(g.outChannels == c && weight.shape[1] == 1, "depthwiseConv2d", "weight \(weight.shape) must be [\(c), 1, kh, kw]")
    try check(inputBias.shape == [c], "depthwiseConv2d", "input bias \(inputBias.shape), expected [\(c)]")
    let out = try makeOutput("depthwiseConv2d", [g.batch, c, g.outHeight, g.outWidth], into: nil, workspace: workspace)
    if out.count > 0 { depthwiseConv2d(x, weight, bias, g, out, relu: relu, inputBias: inputBias) }
    return out
}

/// Below this many channels RoMa's refiners run their blocks through `depthwisePointwise`;
/// from it on, as separate `conv2d` + `relu` + `conv2d`. Where the 1×1 is compute-bound,
/// oneDNN's one large two-thread GEMM beats the per-band single-thread calls
/// (`roma-bench refiner-block`, CPU ms per block, separate → fused, load ≈ 4: C = 24 @864²
/// 45–47 → 35–36; C = 144 @432² 83 → 82; C = 569 @216² 176 → 191 and C = 1137 @108²
/// 147 → 156, band sizes 1536–16384 alike). A variant for wide maps (depthwise + ReLU per
/// plane, then the one large GEMM) saved 1–2 % there but showed no gain in whole-model runs.
public let depthwisePointwiseMaxChannels = 128

/// Output columns per band of `depthwisePointwise` over C channels: at least 4096, so
/// each GEMM call runs near its peak and amortises packing the C×C weights (the panel
/// is then 9 MB at RoMa's widest refiner, C = 1377: two threads' panels stay in the
/// 32 MB L3), and for thin maps enough for a 2 MB panel, so the halo rows each band
/// re-reads stay few. `ROMA_FUSED_BAND` overrides it (benchmarks).
func fusedBandColumns(channels c: Int) -> Int {
    fusedBandOverride ?? max(4096, (1 << 19) / max(1, c))
}

private let fusedBandOverride = ProcessInfo.processInfo.environment["ROMA_FUSED_BAND"].flatMap { Int($0) }.map { max(1, $0) }

/// Whether `depthwisePointwise` can run here: its GEMMs run one per thread, which
/// oneDNN and our AVX-512 kernel do and OpenBLAS (its own thread pool) does not.
/// `ROMA_FUSED_REFINER=0` turns it off (side-by-side comparisons).
public var depthwisePointwiseAvailable: Bool { fusedEnabled && GEMM.runsOnCallingThread }

private let fusedEnabled = ProcessInfo.processInfo.environment["ROMA_FUSED_REFINER"] != "0"

/// torch's ReLU on a short run in cache (NaN passes through, as `relu`).
@inline(__always)
func reluInPlace(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(p + i).storeBytes(of: v.replacing(with: 0, where: v .< 0), as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { if p[i] < 0 { p[i] = 0 }; i += 1 }
}
