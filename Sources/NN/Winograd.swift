import CKernels
import Parallel

// Winograd F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", CVPR 2016) for dense 3×3, stride-1 convolutions: each 2×2 block of
// outputs is Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, with d the 4×4 input patch under it and g
// the 3×3 filter. Summed over input channels, the ⊙ becomes 16 independent GEMMs
// (one per element of the 4×4 transformed tile): 16 multiplies per 4 outputs
// instead of 36, so 2.25× fewer than im2col's GEMM. The transforms only add and
// halve, so they stay cheap next to the GEMMs once Cin and Cout are a few dozen.
//
//        ⎡1  0 −1  0⎤       ⎡ 1    0    0 ⎤       ⎡1  1  1  0⎤
//   Bᵀ = ⎢0  1  1  0⎥   G = ⎢1/2  1/2  1/2⎥  Aᵀ = ⎣0  1 −1 −1⎦
//        ⎢0 −1  1  0⎥       ⎢1/2 −1/2  1/2⎥
//        ⎣0  1  0 −1⎦       ⎣ 0    0    1 ⎦
//
// Layout: U [16][Cout][Cin], V [16][Cin][T], M [16][Cout][T] for the T tiles of one
// band of tile rows, so each GEMM is M_e = U_e · V_e with plain row-major operands.

/// Floats of V and M together per band: 2 M floats = 8 MB, so one GEMM's operands
/// (V_e and M_e, 1/16 of that) stay near L2 size. Measured with `roma-bench ops
/// --filter "conv3x3 vgg"` and the budget varied by hand (2-core EPYC, 1 MB L2 per
/// core): 64→64 channels at 560² ran
/// ≈ 25 % faster with 840-tile bands than with 3920-tile ones; 512→512 at 70² was
/// best near 250 tiles and slowed by ~15 % at 140.
let defaultWinogradBandBudget = 1 << 21
/// A band never holds fewer tiles than this, whatever the budget, so the GEMMs keep a useful N.
let winogradMinimumBandTiles = 256

/// Whether `conv2d`'s automatic choice takes the Winograd path: 3×3, stride 1,
/// dilation 1, one group, and enough input channels that the 16 GEMMs (K = Cin)
/// outweigh the transforms. VGG's first layer (Cin = 3) stays on im2col, where its
/// K = 27 GEMM is already thin and Winograd's K = 3 would be thinner still
/// (`roma-bench ops`: 3→64 at 560², im2col 18 ms, Winograd 22 ms).
func winogradApplies(_ g: ConvGeometry) -> Bool {
    winogradSupports(g) && g.inChannels >= winogradMinimumInChannels && g.outChannels >= winogradMinimumOutChannels
}

/// Measured with `roma-bench ops` (alternating rounds) on 280² with these shapes
/// added: Cin = 8 → 64 was a tie (7.2 vs 7.1 ms), 16 → 64 a 1.3× win (13.6 vs
/// 10.6 ms), 32 → 64 1.55×, 16 → 16 1.4×. VGG's layers other than the first have Cin ≥ 64.
let winogradMinimumInChannels = 16
let winogradMinimumOutChannels = 16

/// Shapes the Winograd kernel handles at all (any padding).
func winogradSupports(_ g: ConvGeometry) -> Bool {
    g.kernelH == 3 && g.kernelW == 3 && g.stride == 1 && g.dilation == 1 && g.groups == 1
}

/// y = conv2d(x, weight, bias, padding: g.padding) by Winograd F(2×2, 3×3); `out` is
/// [N, Cout, Ho, Wo] and must not overlap x. Odd Ho/Wo end on a partial tile whose
/// missing outputs are computed and dropped; taps outside the image read zeros.
func winogradConv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ g: ConvGeometry, _ out: Tensor,
                    _ workspace: Workspace?, relu: Bool = false, bandBudget: Int = defaultWinogradBandBudget,
                    minimumBandTiles: Int = winogradMinimumBandTiles, perThread: Bool = winogradBandsPerThreadEnabled,
                    filter: WinogradFilter? = nil) {
    precondition(winogradSupports(g), "winogradConv2d: unsupported geometry")
    precondition(filter.map { $0.outChannels == g.outChannels && $0.inChannels == g.inChannels } ?? true,
                 "winogradConv2d: filter transform of another shape")
    let cin = g.inChannels, cout = g.outChannels
    let tilesH = (g.outHeight + 1) / 2, tilesW = (g.outWidth + 1) / 2
    let fittingRows = bandBudget / max(1, 16 * (cin + cout) * tilesW)
    let fewestRows = (minimumBandTiles + tilesW - 1) / tilesW
    let bandRows = min(tilesH, max(1, fittingRows, fewestRows))
    let bandTiles = bandRows * tilesW

    // U: the filter transform given (computed once when the model was bound, WinogradFilter.swift),
    // else computed here (0.1 ms at 64→64 up to 4 ms at 512→512, 7 % of that layer at 70²).
    let ownU = filter == nil ? scratch(16 * cout * cin, workspace) : nil
    defer { if let ownU { releaseScratch(ownU, workspace) } }
    let u = filter?.transformed.pointer ?? ownU!.base
    if filter == nil { transformFilters(weight.pointer, into: u, outChannels: cout, inChannels: cin) }

    let plane = g.outHeight * g.outWidth
    if perThread, winogradBandsPerThread(x, bias, g, out, u: u, bandRows: bandRows, tilesH: tilesH, tilesW: tilesW,
                                         relu: relu) { return }
    // The shared path's V and M (the per-thread path takes its own): not requested before
    // it is known to be needed, so an unused buffer does not hold pages the threads need.
    let vCount = 16 * cin * bandTiles
    let buffer = scratch(vCount + 16 * cout * bandTiles, workspace)
    defer { releaseScratch(buffer, workspace) }
    let v = buffer.base, m = v + vCount
    for n in 0..<g.batch {
        let input = x.pointer + n * cin * g.height * g.width
        let output = out.pointer + n * cout * plane
        var row0 = 0
        while row0 < tilesH {
            let rows = min(bandRows, tilesH - row0)
            let tiles = rows * tilesW
            transformInput(input, g, firstTileRow: row0, tileRows: rows, tilesW: tilesW, into: v)
            for e in 0..<16 {
                GEMM.sgemm(m: cout, n: tiles, k: cin, a: u + e * cout * cin, lda: cin, b: v + e * cin * tiles, ldb: tiles,
                           c: m + e * cout * tiles, ldc: tiles)
            }
            transformOutput(m, bias, g, firstTileRow: row0, tileRows: rows, tilesW: tilesW, into: output, relu: relu)
            row0 += rows
        }
    }
}

// MARK: Transforms

/// U[e][co][ci] = (G g Gᵀ)[e] for each 3×3 filter g = weight[co, ci].
func transformFilters(_ weight: UnsafeMutablePointer<Float>, into u: UnsafeMutablePointer<Float>,
                              outChannels cout: Int, inChannels cin: Int) {
    let w = SendablePointer(weight), dst = SendablePointer(u)
    let stride = cout * cin
    parallelFor(cout) { co in
        for ci in 0..<cin {
            let f = w.base + (co * cin + ci) * 9
            let o = dst.base + co * cin + ci
            // Row i of G g (a 4×3 matrix, built one row at a time), then that row times Gᵀ.
            @inline(__always) func emit(_ i: Int, _ a: Float, _ b: Float, _ c: Float) {
                o[(4 * i) * stride] = a
                o[(4 * i + 1) * stride] = 0.5 * (a + b + c)
                o[(4 * i + 2) * stride] = 0.5 * (a - b + c)
                o[(4 * i + 3) * stride] = c
            }
            emit(0, f[0], f[1], f[2])
            emit(1, 0.5 * (f[0] + f[3] + f[6]), 0.5 * (f[1] + f[4] + f[7]), 0.5 * (f[2] + f[5] + f[8]))
            emit(2, 0.5 * (f[0] - f[3] + f[6]), 0.5 * (f[1] - f[4] + f[7]), 0.5 * (f[2] - f[5] + f[8]))
            emit(3, f[6], f[7], f[8])
        }
    }
}

/// V[e][c][t] = (Bᵀ d B)[e] for the 4×4 patch d under tile t of the band (tile rows
/// firstTileRow…, all tile columns), every input channel c.
///
/// Per channel and tile row, the four input rows the tiles cover are copied into
/// zero-padded lines (so padding and the partial last tile need no branches), Bᵀ
/// combines the lines elementwise, and B then combines columns 2tx…2tx+3 per tile.
func transformInput(_ input: UnsafeMutablePointer<Float>, _ g: ConvGeometry, firstTileRow: Int, tileRows: Int,
                    tilesW: Int, into v: UnsafeMutablePointer<Float>, threads: Int = Threads.count) {
    let src = SendablePointer(input), dst = SendablePointer(v)
    let H = g.height, W = g.width, pad = g.padding, cin = g.inChannels
    let lineLength = 2 * tilesW + 2
    let tiles = tileRows * tilesW
    let elementStride = cin * tiles  // from V[e] to V[e+1]
    // Padded columns [firstColumn, lastColumn) hold input columns; the rest stay zero.
    let firstColumn = min(pad, lineLength), lastColumn = min(lineLength, W + pad)
    let jobs = cin * tileRows
    let workers = min(max(1, threads), jobs)
    let vectorLine = roma_winograd_line_floats(tilesW)
    parallelFor(workers, threads: workers) { worker in
        let lines = UnsafeMutablePointer<Float>.allocate(capacity: 4 * max(lineLength, vectorLine))
        defer { lines.deallocate() }
        for job in (jobs * worker / workers)..<(jobs * (worker + 1) / workers) {
            let c = job / tileRows, r = job % tileRows
            let plane = src.base + c * H * W
            let iy0 = 2 * (firstTileRow + r) - pad
            // AVX-512 (CKernels/winograd.c), same arithmetic; −1 below that level.
            if roma_winograd_input_row(plane, H, W, pad, iy0, tilesW, dst.base + c * tiles + r * tilesW, elementStride, lines) == 0 {
                continue
            }
            for k in 0..<4 {
                let line = lines + k * lineLength
                let iy = iy0 + k
                if iy < 0 || iy >= H {
                    line.update(repeating: 0, count: lineLength)
                } else {
                    // The Bᵀ pass below overwrites the lines, so the zero margins are rewritten each time.
                    if firstColumn > 0 { line.update(repeating: 0, count: firstColumn) }
                    if lastColumn > firstColumn {
                        (line + firstColumn).update(from: plane + iy * W + (firstColumn - pad), count: lastColumn - firstColumn)
                    }
                    if lastColumn < lineLength { (line + lastColumn).update(repeating: 0, count: lineLength - lastColumn) }
                }
            }
            // Bᵀ d over rows, in place: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
            let d0 = lines, d1 = lines + lineLength, d2 = lines + 2 * lineLength, d3 = lines + 3 * lineLength
            for i in 0..<lineLength {
                let a = d0[i], b = d1[i], c2 = d2[i], d = d3[i]
                d0[i] = a - c2
                d1[i] = b + c2
                d2[i] = c2 - b
                d3[i] = b - d
            }
            // (Bᵀ d) B over columns, written to the 16 element planes of V.
            let base = dst.base + c * tiles + r * tilesW
            for k in 0..<4 {
                let t = lines + k * lineLength
                let o0 = base + (4 * k) * elementStride, o1 = o0 + elementStride
                let o2 = o1 + elementStride, o3 = o2 + elementStride
                // Four tiles per step: columns 2tx…2tx+7 and 2tx+2…2tx+9, split into even and
                // odd lanes, are the four columns of each tile (7 % faster than scalar at 64→64).
                var tx0 = 0
                while tx0 + 4 <= tilesW {
                    let v0 = UnsafeRawPointer(t + 2 * tx0).loadUnaligned(as: SIMD8<Float>.self)
                    let v1 = UnsafeRawPointer(t + 2 * tx0 + 2).loadUnaligned(as: SIMD8<Float>.self)
                    let a = v0.evenHalf, b = v0.oddHalf, c2 = v1.evenHalf, d = v1.oddHalf
                    UnsafeMutableRawPointer(o0 + tx0).storeBytes(of: a - c2, as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(o1 + tx0).storeBytes(of: b + c2, as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(o2 + tx0).storeBytes(of: c2 - b, as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(o3 + tx0).storeBytes(of: b - d, as: SIMD4<Float>.self)
                    tx0 += 4
                }
                for tx in tx0..<tilesW {
                    let a = t[2 * tx], b = t[2 * tx + 1], c2 = t[2 * tx + 2], d = t[2 * tx + 3]
                    o0[tx] = a - c2
                    o1[tx] = b + c2
                    o2[tx] = c2 - b
                    o3[tx] = b - d
                }
            }
        }
    }
}

/// Output rows of the band: y = Aᵀ m A + bias per tile, with m gathered from the 16
/// GEMM results M[e][co][t]; outputs past Ho or Wo (partial tiles) are dropped.
func transformOutput(_ m: UnsafeMutablePointer<Float>, _ bias: Tensor?, _ g: ConvGeometry, firstTileRow: Int,
                     tileRows: Int, tilesW: Int, into output: UnsafeMutablePointer<Float>, relu: Bool = false,
                     threads: Int = Threads.count) {
    let src = SendablePointer(m), dst = SendablePointer(output)
    let bp = bias.map { SendablePointer($0.pointer) }
    let cout = g.outChannels, Ho = g.outHeight, Wo = g.outWidth
    let tiles = tileRows * tilesW
    let elementStride = cout * tiles
    let fullColumns = Wo / 2  // tiles whose both output columns exist
    parallelFor(cout * tileRows, threads: threads) { job in
        let co = job / tileRows, r = job % tileRows
        let b = bp.map { $0[co] } ?? 0
        let mm = src.base + co * tiles + r * tilesW
        let oy = 2 * (firstTileRow + r)
        let row0 = dst.base + co * Ho * Wo + oy * Wo
        let hasSecondRow = oy + 1 < Ho
        if roma_winograd_output_row(mm, elementStride, tilesW, b, relu ? 1 : 0, row0, hasSecondRow ? row0 + Wo : nil, Wo) == 0 {
            return
        }
        // ReLU as NN's relu: NaN fails `< 0` and passes through.
        @inline(__always) func activate(_ y: Float) -> Float { relu && y < 0 ? 0 : y }
        @inline(__always) func activate(_ y: SIMD4<Float>) -> SIMD4<Float> { relu ? y.replacing(with: 0, where: y .< 0) : y }
        // Rows of m: e = 4i + k lives at mm + e·elementStride.
        @inline(__always) func tile(_ tx: Int) -> (Float, Float, Float, Float) {
            var s0 = (Float(0), Float(0), Float(0), Float(0)), s1 = s0
            // Aᵀ m: s0[k] = m0k + m1k + m2k, s1[k] = m1k − m2k − m3k.
            let m0 = mm + tx, m1 = m0 + 4 * elementStride, m2 = m1 + 4 * elementStride, m3 = m2 + 4 * elementStride
            s0.0 = m0[0] + m1[0] + m2[0]; s1.0 = m1[0] - m2[0] - m3[0]
            s0.1 = m0[elementStride] + m1[elementStride] + m2[elementStride]
            s1.1 = m1[elementStride] - m2[elementStride] - m3[elementStride]
            s0.2 = m0[2 * elementStride] + m1[2 * elementStride] + m2[2 * elementStride]
            s1.2 = m1[2 * elementStride] - m2[2 * elementStride] - m3[2 * elementStride]
            s0.3 = m0[3 * elementStride] + m1[3 * elementStride] + m2[3 * elementStride]
            s1.3 = m1[3 * elementStride] - m2[3 * elementStride] - m3[3 * elementStride]
            // (Aᵀ m) A.
            return (activate(s0.0 + s0.1 + s0.2 + b), activate(s0.1 - s0.2 - s0.3 + b),
                    activate(s1.0 + s1.1 + s1.2 + b), activate(s1.1 - s1.2 - s1.3 + b))
        }
        let row1 = row0 + Wo
        // Four tiles per step (13 % faster than scalar at 64→64): each element's four
        // tiles are contiguous in M, and the two outputs per row interleave on the store.
        var tx0 = 0
        @inline(__always) func load(_ e: Int, _ tx: Int) -> SIMD4<Float> {
            UnsafeRawPointer(mm + e * elementStride + tx).loadUnaligned(as: SIMD4<Float>.self)
        }
        let bv = SIMD4<Float>(repeating: b)
        while tx0 + 4 <= fullColumns {
            let s0 = load(0, tx0) + load(4, tx0) + load(8, tx0), d0 = load(4, tx0) - load(8, tx0) - load(12, tx0)
            let s1 = load(1, tx0) + load(5, tx0) + load(9, tx0), d1 = load(5, tx0) - load(9, tx0) - load(13, tx0)
            let s2 = load(2, tx0) + load(6, tx0) + load(10, tx0), d2 = load(6, tx0) - load(10, tx0) - load(14, tx0)
            let s3 = load(3, tx0) + load(7, tx0) + load(11, tx0), d3 = load(7, tx0) - load(11, tx0) - load(15, tx0)
            let y0 = activate(s0 + s1 + s2 + bv), y1 = activate(s1 - s2 - s3 + bv)
            UnsafeMutableRawPointer(row0 + 2 * tx0).storeBytes(
                of: SIMD8<Float>(y0[0], y1[0], y0[1], y1[1], y0[2], y1[2], y0[3], y1[3]), as: SIMD8<Float>.self)
            if hasSecondRow {
                let y2 = activate(d0 + d1 + d2 + bv), y3 = activate(d1 - d2 - d3 + bv)
                UnsafeMutableRawPointer(row1 + 2 * tx0).storeBytes(
                    of: SIMD8<Float>(y2[0], y3[0], y2[1], y3[1], y2[2], y3[2], y2[3], y3[3]), as: SIMD8<Float>.self)
            }
            tx0 += 4
        }
        for tx in tx0..<fullColumns {
            let y = tile(tx)
            row0[2 * tx] = y.0; row0[2 * tx + 1] = y.1
            if hasSecondRow { row1[2 * tx] = y.2; row1[2 * tx + 1] = y.3 }
        }
        if fullColumns < tilesW {
            let y = tile(fullColumns)
            row0[2 * fullColumns] = y.0
            if hasSecondRow { row1[2 * fullColumns] = y.2 }
        }
    }
}
