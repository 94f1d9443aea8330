import NN

// RoMa moves between two layouts of one image's features, as the reference's
// rearranges do: maps `[1, C, H, W]` (NCHW, batch of one) and tokens `[1, H·W, C]`.

extension Tensor {
    /// Sizes of an NCHW map.
    var channels: Int { shape[1] }
    var height: Int { shape[2] }
    var width: Int { shape[3] }
}

/// `b d h w -> b (h w) d`.
func tokens(_ map: Tensor) throws -> Tensor {
    try permute(map.reshaped([map.shape[0], map.shape[1], map.shape[2] * map.shape[3]]), [0, 2, 1])
}

/// `b (h w) d -> b d h w`.
func featureMap(_ tokens: Tensor, height: Int, width: Int) throws -> Tensor {
    guard tokens.rank == 3, tokens.shape[1] == height * width else {
        throw RoMaError("\(tokens.shape) tokens do not fill a \(height)x\(width) grid")
    }
    return try permute(tokens, [0, 2, 1]).reshaped([tokens.shape[0], tokens.shape[2], height, width])
}

/// Pixel-centre coordinates of an n-long axis, normalised to [-1, 1] with
/// `align_corners=False` (the reference's `linspace(-1 + 1/n, 1 - 1/n, n)`).
func normalisedCentres(_ n: Int) -> [Float] {
    linspace(Float(-1 + 1 / Double(n)), Float(1 - 1 / Double(n)), n)
}

/// torch.linspace in float32 (the lower half counts up from start, the upper half down from end).
func linspace(_ start: Float, _ end: Float, _ n: Int) -> [Float] {
    if n == 1 { return [start] }
    let step = (end - start) / Float(n - 1)
    let half = n / 2
    return (0..<n).map { i in i < half ? start + step * Float(i) : end - step * Float(n - 1 - i) }
}
