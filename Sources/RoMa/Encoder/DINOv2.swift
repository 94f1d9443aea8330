/// DINOv2 ViT (ViT-L/14 in RoMa): patch embedding, class token, positional
/// embedding interpolated to the input grid, transformer blocks, final norm.
/// Returns the normalised patch tokens as a stride-14 feature map (the
/// reference's `x_norm_patchtokens`, reshaped to `B × D × H/14 × W/14`).
struct DINOv2Encoder: Sendable {
    let shape: RoMaArchitecture.ViT
    let patchEmbed: Conv2d
    let classToken: [Float]
    /// `(1 + G²) × D`: the class position then a G×G grid.
    let positionEmbedding: [Float]
    let blocks: [TransformerBlock]
    let norm: LayerNorm

    init(_ r: LayerReader, shape: RoMaArchitecture.ViT) throws {
        self.shape = shape
        let d = shape.embedDim, g = shape.positionGrid
        patchEmbed = try r("patch_embed")("proj").conv(out: d, in: 3, kernel: shape.patch, stride: shape.patch)
        classToken = try r.tensor("cls_token", [1, 1, d])
        positionEmbedding = try r.tensor("pos_embed", [1, 1 + g * g, d])
        blocks = try (0..<shape.depth).map {
            try TransformerBlock(r("blocks")("\($0)"), dim: d, heads: shape.heads, qkvBias: true, layerScale: true, eps: 1e-6)
        }
        norm = try r("norm").layerNorm(d, eps: 1e-6)
    }

    /// The positional embedding for a `rows × cols` patch grid: the reference
    /// interpolates bicubically with scale factors `(n + 0.1) / G` (the 0.1 keeps
    /// floor() from landing one short) unless the grid is already G×G.
    func positions(rows: Int, cols: Int) -> [Float] {
        let d = shape.embedDim, g = shape.positionGrid
        if rows * cols == g * g && rows == cols { return positionEmbedding }
        let grid = Tokens(count: g * g, dim: d, data: Array(positionEmbedding[d...])).featureMap(height: g, width: g)
        let resized = resizeBicubic(grid, scaleY: (Double(rows) + 0.1) / Double(g), scaleX: (Double(cols) + 0.1) / Double(g))
        precondition(resized.height == rows && resized.width == cols, "positional embedding resized to \(resized.height)x\(resized.width), expected \(rows)x\(cols)")
        return Array(positionEmbedding[0..<d]) + resized.tokens.data
    }

    func callAsFunction(_ image: FeatureMap) -> FeatureMap {
        let d = shape.embedDim
        let patches = patchEmbed(image)
        let rows = patches.height, cols = patches.width
        var x = Tokens(count: 1 + rows * cols, dim: d, data: classToken + patches.tokens.data)
        let pos = positions(rows: rows, cols: cols)
        for i in 0..<x.data.count { x.data[i] += pos[i] }
        for block in blocks { x = block(x) }
        let normed = norm(x)
        return Tokens(count: rows * cols, dim: d, data: Array(normed.data[d...])).featureMap(height: rows, width: cols)
    }
}
