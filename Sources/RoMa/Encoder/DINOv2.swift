import NN

/// DINOv2 ViT (ViT-L/14 in RoMa): patch embedding, class token, positional
/// embedding interpolated to the input grid, transformer blocks, final norm.
/// Returns the normalised patch tokens as a stride-14 feature map (the
/// reference's `x_norm_patchtokens`, reshaped to `B × D × H/14 × W/14`).
struct DINOv2Encoder: Sendable {
    let shape: RoMaArchitecture.ViT
    let patchEmbed: Conv2d
    /// `[1, 1, D]`.
    let classToken: Tensor
    /// `[1, 1 + G², D]`: the class position then a G×G grid.
    let positionEmbedding: Tensor
    let blocks: [TransformerBlock]
    let norm: LayerNorm

    /// `precision` applies to the patch embedding and the blocks' linears and attention products.
    init(_ r: LayerReader, shape: RoMaArchitecture.ViT, precision: Precision = .fp32) throws {
        self.shape = shape
        let d = shape.embedDim, g = shape.positionGrid
        var patchEmbed = try r("patch_embed")("proj").conv(out: d, in: 3, kernel: shape.patch, stride: shape.patch)
        patchEmbed.precision = precision
        self.patchEmbed = patchEmbed
        classToken = Tensor(try r.tensor("cls_token", [1, 1, d]), shape: [1, 1, d])
        positionEmbedding = Tensor(try r.tensor("pos_embed", [1, 1 + g * g, d]), shape: [1, 1 + g * g, d])
        blocks = try (0..<shape.depth).map {
            try TransformerBlock(r("blocks")("\($0)"), dim: d, heads: shape.heads, qkvBias: true, layerScale: true, eps: 1e-6,
                                 precision: precision, fusedEpilogues: true)
        }
        norm = try r("norm").layerNorm(d, eps: 1e-6)
    }

    /// The positional embedding `[1, 1 + rows·cols, D]` for a `rows × cols` patch
    /// grid: the reference interpolates bicubically with scale factors
    /// `(n + 0.1) / G` (the 0.1 keeps floor() from landing one short) unless the
    /// grid is already G×G.
    func positions(rows: Int, cols: Int) throws -> Tensor {
        let g = shape.positionGrid
        if rows * cols == g * g && rows == cols { return positionEmbedding }
        let grid = try featureMap(narrow(positionEmbedding, dim: 1, start: 1, length: g * g), height: g, width: g)
        let resized = try interpolateBicubic(grid, scaleFactor: ((Double(rows) + 0.1) / Double(g), (Double(cols) + 0.1) / Double(g)))
        guard resized.height == rows, resized.width == cols else {
            throw RoMaError("positional embedding resized to \(resized.height)x\(resized.width), expected \(rows)x\(cols)")
        }
        return try concat([narrow(positionEmbedding, dim: 1, start: 0, length: 1), tokens(resized)], dim: 1)
    }

    /// image `[1, 3, H, W]` → patch features `[1, D, H/14, W/14]`.
    func callAsFunction(_ image: Tensor) throws -> Tensor {
        let patches = try patchEmbed(image)
        let rows = patches.height, cols = patches.width
        var x = try concat([classToken, tokens(patches)], dim: 1)
        x = try add(x, positions(rows: rows, cols: cols), into: x)
        let workspace = Workspace()
        for block in blocks { x = try block(x, workspace: workspace) }
        let normed = try norm(x)
        return try featureMap(narrow(normed, dim: 1, start: 1, length: rows * cols), height: rows, width: cols)
    }
}
