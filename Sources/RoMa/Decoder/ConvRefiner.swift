/// One scale's refiner (the reference's `ConvRefiner`, depthwise, linear
/// displacement embedding, local correlation in B around the current warp):
/// input `[f_A, f_B sampled at the warp, embed(warp - grid), corr]`, then
/// blocks of depthwise k×k conv + BN + ReLU (fused) + 1×1 conv, then a 1×1 conv to
/// (Δx, Δy, Δcertainty).
struct ConvRefiner: Sendable {
    struct Block: Sendable {
        var depthwise: Conv2d
        var pointwise: Conv2d
    }

    let shape: RoMaArchitecture.Refiner
    let blocks: [Block]
    let outConv: Conv2d
    let displacementEmbedding: Conv2d

    init(_ r: LayerReader, shape: RoMaArchitecture.Refiner, hiddenBlocks: Int, kernel: Int) throws {
        self.shape = shape
        let w = shape.width
        func block(_ b: LayerReader) throws -> Block {
            var dw = try b("0").conv(out: w, in: w, kernel: kernel, padding: kernel / 2, groups: w)
            dw.fold(try b("1").batchNorm(w))
            dw.fusedReLU = true
            return Block(depthwise: dw, pointwise: try b("3").conv(out: w, in: w, kernel: 1))
        }
        blocks = try [block(r("block1"))] + (0..<hiddenBlocks).map { try block(r("hidden_blocks")("\($0)")) }
        outConv = try r("out_conv").conv(out: 3, in: w, kernel: 1)
        displacementEmbedding = try r("disp_emb").conv(out: shape.displacementDim, in: 2, kernel: 1)
    }

    /// Returns (Δflow `2 × h × w` in the refiner's units, Δcertainty `1 × h × w`).
    func callAsFunction(_ a: FeatureMap, _ b: FeatureMap, flow: FeatureMap, scaleFactor: Double) -> (FeatureMap, FeatureMap) {
        let (h, w) = (a.height, a.width), n = h * w
        let sampled = StageClock.measure("refiner: grid sample") { gridSample(b, at: flow) }
        let xs = normalisedCentres(w), ys = normalisedCentres(h)
        // The reference scales the displacement by 40/32 · scale_factor (a Python float) in float32.
        let k = Float(40.0 / 32.0 * scaleFactor)
        var displacement = FeatureMap(zeros: 2, h, w)
        for y in 0..<h {
            for x in 0..<w {
                displacement.data[y * w + x] = k * (flow.data[y * w + x] - xs[x])
                displacement.data[n + y * w + x] = k * (flow.data[n + y * w + x] - ys[y])
            }
        }
        var parts = [a, sampled, displacementEmbedding(displacement)]
        if let r = shape.corrRadius { parts.append(StageClock.measure("local correlation") { localCorrelation(a, b, warp: flow, radius: r) }) }
        var d = StageClock.measure("refiner: concatenate") { FeatureMap.concatenate(parts) }
        precondition(d.channels == shape.width, "refiner input has \(d.channels) channels, expected \(shape.width)")
        parts = []
        for block in blocks {
            d = StageClock.measure("refiner: depthwise + ReLU") { block.depthwise(d) }
            d = StageClock.measure("refiner: pointwise") { block.pointwise(d) }
        }
        let out = outConv(d)
        return (out.channels(0..<2), out.channels(2..<3))
    }
}
