import NN
import Parallel

/// One scale's refiner (the reference's `ConvRefiner`, depthwise, linear
/// displacement embedding, local correlation in B around the current warp):
/// input `[f_A, f_B sampled at the warp, embed(warp - grid), corr]`, then
/// blocks of depthwise k×k conv + BN + ReLU + 1×1 conv, then a 1×1 conv to
/// (Δx, Δy, Δcertainty).
struct ConvRefiner: Sendable {
    typealias Block = RefinerBlock

    let shape: RoMaArchitecture.Refiner
    let blocks: [Block]
    let outConv: Conv2d
    let displacementEmbedding: Conv2d

    /// `precision` applies to every convolution of the refiner.
    init(_ r: LayerReader, shape: RoMaArchitecture.Refiner, hiddenBlocks: Int, kernel: Int, precision: Precision = .fp32) throws {
        self.shape = shape
        let w = shape.width
        func block(_ b: LayerReader) throws -> Block {
            var dw = try b("0").conv(out: w, in: w, kernel: kernel, padding: kernel / 2, groups: w)
            dw.precision = precision
            try dw.fold(try b("1").batchNorm(w))
            dw.fusedReLU = true
            var pw = try b("3").conv(out: w, in: w, kernel: 1)
            pw.precision = precision
            return Block(depthwise: dw, pointwise: pw)
        }
        blocks = try [block(r("block1"))] + (0..<hiddenBlocks).map { try block(r("hidden_blocks")("\($0)")) }
        var outConv = try r("out_conv").conv(out: 3, in: w, kernel: 1)
        var displacementEmbedding = try r("disp_emb").conv(out: shape.displacementDim, in: 2, kernel: 1)
        (outConv.precision, displacementEmbedding.precision) = (precision, precision)
        (self.outConv, self.displacementEmbedding) = (outConv, displacementEmbedding)
    }

    /// a, b `[1, C, h, w]`, flow `[1, 2, h, w]` (normalised x, y in B) →
    /// (Δflow `[1, 2, h, w]` in the refiner's units, Δcertainty `[1, 1, h, w]`).
    func callAsFunction(_ a: Tensor, _ b: Tensor, flow: Tensor, scaleFactor: Double) throws -> (Tensor, Tensor) {
        let (h, w) = (a.height, a.width), n = h * w, c = a.channels
        let corrChannels = shape.corrRadius.map { (2 * $0 + 1) * (2 * $0 + 1) } ?? 0
        guard b.channels == c, 2 * c + shape.displacementDim + corrChannels == shape.width else {
            throw RoMaError("refiner input has \(2 * c + shape.displacementDim + corrChannels) channels, expected \(shape.width)")
        }
        // The input [f_A, f_B sampled, embedded displacement, correlation] (the reference's
        // torch.cat along channels): each part is written straight into its channels.
        var d = Tensor(uninitialized: [1, shape.width, h, w])
        func channels(_ first: Int, _ count: Int) -> Tensor {
            Tensor(storage: d.storage, offset: d.offset + first * n, shape: [1, count, h, w])
        }
        try StageClock.measure("refiner: concatenate") { try copyParallel(a, into: channels(0, c)) }
        _ = try StageClock.measure("refiner: grid sample") {
            try gridSample(b, grid: permute(flow, [0, 2, 3, 1]), into: channels(c, c))
        }
        let xs = normalisedCentres(w), ys = normalisedCentres(h)
        // The reference scales the displacement by 40/32 · scale_factor (a Python float) in float32.
        let k = Float(40.0 / 32.0 * scaleFactor)
        let displacement = Tensor(uninitialized: [1, 2, h, w])
        let f = SendablePointer(flow.pointer), dp = SendablePointer(displacement.pointer)
        parallelFor(h) { y in
            for x in 0..<w {
                dp[y * w + x] = k * (f[y * w + x] - xs[x])
                dp[n + y * w + x] = k * (f[n + y * w + x] - ys[y])
            }
        }
        _ = try displacementEmbedding(displacement, into: channels(2 * c, shape.displacementDim))
        if let r = shape.corrRadius {
            _ = try StageClock.measure("local correlation") {
                try localCorrelation(a, b, warp: flow, radius: r, into: channels(2 * c + shape.displacementDim, corrChannels))
            }
        }
        d = try RefinerBlock.run(blocks, d, stage: "refiner")
        let out = try outConv(d)
        return (try narrow(out, dim: 1, start: 0, length: 2), try narrow(out, dim: 1, start: 2, length: 1))
    }
}

/// `x` copied into `out` (same element count) on all threads.
func copyParallel(_ x: Tensor, into out: Tensor) throws {
    guard x.count == out.count else { throw RoMaError("copy: \(x.shape) into \(out.shape)") }
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    let grain = 1 << 16, chunks = (x.count + grain - 1) / grain
    parallelFor(chunks) { i in
        let begin = i * grain
        (dst.base + begin).update(from: src.base + begin, count: min(grain, x.count - begin))
    }
}
