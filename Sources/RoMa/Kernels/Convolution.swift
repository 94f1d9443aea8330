import Parallel

/// A 2-D convolution's parameters, with any batch norm already folded in.
/// Weight layout is torch's `out × (in / groups) × k × k`.
struct Conv2d: Sendable {
    let outChannels: Int
    let inChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    /// 1 or `inChannels` (depthwise with multiplier 1): the only groupings RoMa uses.
    let groups: Int
    var weight: [Float]
    var bias: [Float]
    /// Apply ReLU to the output inside the kernel (depthwise only), saving a pass.
    var fusedReLU = false

    init(outChannels: Int, inChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
         weight: [Float], bias: [Float]?) {
        precondition(groups == 1 || (groups == inChannels && outChannels == inChannels), "only dense or depthwise (multiplier 1) convolutions")
        precondition(weight.count == outChannels * (inChannels / groups) * kernel * kernel)
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.groups = groups
        self.weight = weight
        self.bias = bias ?? [Float](repeating: 0, count: outChannels)
    }

    /// Folds an inference-mode batch norm that follows this convolution into it:
    /// `bn(conv(x)) = s·conv(x) + (beta - s·mean)` with `s = gamma / sqrt(var + eps)`.
    mutating func fold(_ bn: BatchNorm) {
        precondition(bn.gamma.count == outChannels)
        let per = weight.count / outChannels
        for o in 0..<outChannels {
            let s = bn.gamma[o] / (bn.variance[o] + bn.eps).squareRoot()
            for i in 0..<per { weight[o * per + i] *= s }
            bias[o] = (bias[o] - bn.mean[o]) * s + bn.beta[o]
        }
    }

    func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    func callAsFunction(_ x: FeatureMap) -> FeatureMap {
        precondition(x.channels == inChannels, "conv expects \(inChannels) channels, got \(x.channels)")
        if groups > 1 { return depthwise(x) }
        if kernel == 1 && stride == 1 && padding == 0 { return pointwise(x) }
        return im2colGemm(x)
    }

    /// 1×1: one GEMM, `out[o, p] = W[o, :] · x[:, p]`.
    private func pointwise(_ x: FeatureMap) -> FeatureMap {
        let n = x.planeSize
        var out = [Float](repeating: 0, count: outChannels * n)
        out.withUnsafeMutableBufferPointer { o in
            for c in 0..<outChannels { for p in 0..<n { o[c * n + p] = bias[c] } }
            weight.withUnsafeBufferPointer { w in
                x.data.withUnsafeBufferPointer { src in
                    sgemm(m: outChannels, n: n, k: inChannels, w.baseAddress!, lda: inChannels,
                          src.baseAddress!, ldb: n, beta: 1, o.baseAddress!, ldc: n)
                }
            }
        }
        FlopCounter.add(2 * Double(outChannels * inChannels * n))
        return FeatureMap(channels: outChannels, height: x.height, width: x.width, data: out)
    }

    /// Dense k×k: im2col over bands of output rows (bounded scratch), one GEMM per band.
    private func im2colGemm(_ x: FeatureMap) -> FeatureMap {
        let (oh, ow) = outputSize(x.height, x.width)
        let kk = kernel * kernel, rows = inChannels * kk, n = oh * ow
        var out = [Float](repeating: 0, count: outChannels * n)
        let band = max(1, min(oh, (1 << 23) / max(1, rows * ow)))
        var col = [Float](repeating: 0, count: rows * band * ow)
        let (ih, iw, k, s, pad) = (x.height, x.width, kernel, stride, padding)
        out.withUnsafeMutableBufferPointer { o in
            for c in 0..<outChannels { for p in 0..<n { o[c * n + p] = bias[c] } }
            x.data.withUnsafeBufferPointer { src in
                col.withUnsafeMutableBufferPointer { colBuf in
                    let srcP = SendablePointer(UnsafeMutablePointer(mutating: src.baseAddress!)), colP = SendablePointer(colBuf.baseAddress!)
                    var y0 = 0
                    while y0 < oh {
                        let top = y0, y1 = min(oh, y0 + band), cols = (y1 - y0) * ow
                        parallelFor(rows) { r in
                            let ci = r / kk, ky = (r % kk) / k, kx = r % k
                            let dst = colP.base + r * cols
                            let plane = srcP.base + ci * ih * iw
                            for y in top..<y1 {
                                let iy = y * s - pad + ky
                                let rowDst = dst + (y - top) * ow
                                if iy < 0 || iy >= ih {
                                    for xo in 0..<ow { rowDst[xo] = 0 }
                                    continue
                                }
                                let rowSrc = plane + iy * iw
                                for xo in 0..<ow {
                                    let ix = xo * s - pad + kx
                                    rowDst[xo] = (ix >= 0 && ix < iw) ? rowSrc[ix] : 0
                                }
                            }
                        }
                        weight.withUnsafeBufferPointer { w in
                            sgemm(m: outChannels, n: cols, k: rows, w.baseAddress!, lda: rows,
                                  colP.base, ldb: cols, beta: 1, o.baseAddress! + y0 * ow, ldc: n)
                        }
                        y0 = y1
                    }
                }
            }
        }
        FlopCounter.add(2 * Double(outChannels * rows * n))
        return FeatureMap(channels: outChannels, height: oh, width: ow, data: out)
    }

    /// Depthwise k×k, stride 1, "same" padding: channels in parallel, each copied
    /// into a zero-padded plane so the 16-wide inner loop needs no bounds tests and
    /// keeps its accumulator in registers across all k² taps.
    private func depthwise(_ x: FeatureMap) -> FeatureMap {
        precondition(stride == 1 && padding == kernel / 2, "depthwise convolution supports stride 1, same padding")
        let (h, w, k, pad) = (x.height, x.width, kernel, padding)
        let pw = w + 2 * pad, ph = h + 2 * pad
        var out = [Float](repeating: 0, count: x.data.count)
        out.withUnsafeMutableBufferPointer { o in
            let dstBase = SendablePointer(o.baseAddress!)
            x.data.withUnsafeBufferPointer { src in
                weight.withUnsafeBufferPointer { wt in
                    let srcP = SendablePointer(UnsafeMutablePointer(mutating: src.baseAddress!))
                    let wP = SendablePointer(UnsafeMutablePointer(mutating: wt.baseAddress!))
                    let b = bias, clampAtZero = fusedReLU
                    parallelFor(inChannels) { c in
                        let plane = srcP.base + c * h * w, dst = dstBase.base + c * h * w
                        let taps = wP.base + c * k * k
                        let padded = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
                        defer { padded.deallocate() }
                        padded.initialize(repeating: 0, count: ph * pw)
                        for y in 0..<h { (padded + (y + pad) * pw + pad).update(from: plane + y * w, count: w) }
                        for y in 0..<h {
                            let row = dst + y * w
                            var xo = 0
                            while xo + 16 <= w {
                                var acc = Vec(repeating: b[c])
                                for ky in 0..<k {
                                    let r = padded + (y + ky) * pw + xo
                                    for kx in 0..<k { acc += Vec(repeating: taps[ky * k + kx]) * load16(r + kx) }
                                }
                                if clampAtZero { acc = acc.replacing(with: 0, where: acc .< 0) }
                                store16(acc, row + xo)
                                xo += 16
                            }
                            while xo < w {
                                var acc = b[c]
                                for ky in 0..<k {
                                    let r = padded + (y + ky) * pw + xo
                                    for kx in 0..<k { acc += taps[ky * k + kx] * r[kx] }
                                }
                                row[xo] = clampAtZero && acc < 0 ? 0 : acc
                                xo += 1
                            }
                        }
                    }
                }
            }
        }
        FlopCounter.add(2 * Double(inChannels * k * k * h * w))
        return FeatureMap(channels: outChannels, height: h, width: w, data: out)
    }
}

/// Inference-mode batch norm statistics (torch's `BatchNorm2d`, eps 1e-5).
struct BatchNorm: Sendable {
    var gamma: [Float], beta: [Float], mean: [Float], variance: [Float]
    var eps: Float = 1e-5
}

/// In-place ReLU.
func relu(_ x: inout FeatureMap) {
    x.data.withUnsafeMutableBufferPointer { p in
        for i in 0..<p.count where p[i] < 0 { p[i] = 0 }
    }
}

/// 2×2 max-pool, stride 2 (torch floors odd sizes).
func maxPool2x2(_ x: FeatureMap) -> FeatureMap {
    let oh = x.height / 2, ow = x.width / 2, w = x.width, h = x.height
    var out = [Float](repeating: 0, count: x.channels * oh * ow)
    out.withUnsafeMutableBufferPointer { o in
        let dst = SendablePointer(o.baseAddress!)
        x.data.withUnsafeBufferPointer { s in
            let src = SendablePointer(UnsafeMutablePointer(mutating: s.baseAddress!))
            parallelFor(x.channels) { c in
                let p = src.base + c * h * w, q = dst.base + c * oh * ow
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let a = p[2 * y * w + 2 * xo], b = p[2 * y * w + 2 * xo + 1]
                        let cc = p[(2 * y + 1) * w + 2 * xo], d = p[(2 * y + 1) * w + 2 * xo + 1]
                        q[y * ow + xo] = max(max(a, b), max(cc, d))
                    }
                }
            }
        }
    }
    return FeatureMap(channels: x.channels, height: oh, width: ow, data: out)
}
