/// Widths of RoMa v2's DINOv3 descriptor. `vitl16` is what romav2 2.0.1 loads
/// (`dinov3_vitl16` at DINOv3 commit adc2544, layers 11 and 17); the reduced test
/// fixture uses the same architecture at other widths.
///
/// Fixed by `dinov3_vitl16` and not varied here: patch embedding by a 16×16 stride-16
/// convolution, a GELU MLP of 4× the width, qkv bias with the key third masked,
/// layer scale, RoPE with `normalize_coords="separate"` (periods read from the weights).
public struct DINOv3Shape: Sendable, Equatable {
    public var embedDim: Int
    /// Blocks the model has; only blocks `0...layers.max()` are loaded and run.
    public var depth: Int
    public var heads: Int
    public var patch: Int
    /// Register ("storage") tokens after the class token; they and the class token are
    /// not rotated by RoPE and are dropped from the outputs.
    public var storageTokens: Int
    /// Blocks whose outputs are returned, after the final norm, in increasing order
    /// (romav2's `layer_idx`, with negative indices already resolved).
    public var layers: [Int]
    /// Layer-norm epsilon (`layernormbf16` is `nn.LayerNorm(eps=1e-5)`, in float32).
    public var normEps: Float

    public init(embedDim: Int, depth: Int, heads: Int, patch: Int = 16, storageTokens: Int = 4,
                layers: [Int], normEps: Float = 1e-5) {
        (self.embedDim, self.depth, self.heads, self.patch) = (embedDim, depth, heads, patch)
        (self.storageTokens, self.layers, self.normEps) = (storageTokens, layers, normEps)
    }

    /// romav2 2.0.1's descriptor: ViT-L/16, 24 blocks (18 run), 16 heads, 4 storage tokens.
    public static let vitl16 = DINOv3Shape(embedDim: 1024, depth: 24, heads: 16, layers: [11, 17])

    public var headDim: Int { embedDim / heads }

    /// Blocks that have to run: up to the last selected layer (later ones feed nothing).
    public var blocksRun: Int { (layers.last ?? -1) + 1 }

    func validate() throws {
        guard embedDim > 0, heads > 0, embedDim % (4 * heads) == 0 else {
            throw RoMaError("DINOv3 shape: width \(embedDim) does not split into \(heads) heads of a multiple of 4 (RoPE needs D/4 periods)")
        }
        guard patch > 0, storageTokens >= 0 else { throw RoMaError("DINOv3 shape: patch \(patch), storage tokens \(storageTokens)") }
        guard !layers.isEmpty, zip(layers, layers.dropFirst()).allSatisfy({ $0 < $1 }), layers.first! >= 0, layers.last! < depth else {
            throw RoMaError("DINOv3 shape: layers \(layers) must be increasing block indices in 0..<\(depth)")
        }
    }
}
