/// One image's feature map, channel-major (`channels × height × width`), as one
/// batch item of torch's NCHW. RoMa's inference is independent per batch item,
/// so the model runs each image and each matching direction on its own.
public struct FeatureMap: Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var data: [Float]

    public init(channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * height * width, "feature map data does not fill \(channels)x\(height)x\(width)")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    public init(zeros channels: Int, _ height: Int, _ width: Int) {
        self.init(channels: channels, height: height, width: width, data: [Float](repeating: 0, count: channels * height * width))
    }

    public var planeSize: Int { height * width }

    /// Channels stacked in order, as `torch.cat(dim=1)`; all must share one grid.
    public static func concatenate(_ parts: [FeatureMap]) -> FeatureMap {
        let h = parts[0].height, w = parts[0].width
        precondition(parts.allSatisfy { $0.height == h && $0.width == w }, "concatenated feature maps differ in size")
        var data = [Float]()
        data.reserveCapacity(parts.reduce(0) { $0 + $1.data.count })
        for p in parts { data.append(contentsOf: p.data) }
        return FeatureMap(channels: parts.reduce(0) { $0 + $1.channels }, height: h, width: w, data: data)
    }

    /// Channels `range` as their own map.
    public func channels(_ range: Range<Int>) -> FeatureMap {
        let n = planeSize
        return FeatureMap(channels: range.count, height: height, width: width,
                          data: Array(data[(range.lowerBound * n)..<(range.upperBound * n)]))
    }
}

/// Token matrix, row-major `count × dim` (one batch item of torch's B×N×D).
public struct Tokens: Sendable {
    public var count: Int
    public var dim: Int
    public var data: [Float]

    public init(count: Int, dim: Int, data: [Float]) {
        precondition(data.count == count * dim, "token data does not fill \(count)x\(dim)")
        self.count = count
        self.dim = dim
        self.data = data
    }
}

extension FeatureMap {
    /// `b d h w -> b (h w) d`.
    public var tokens: Tokens {
        let n = planeSize, c = channels
        var out = [Float](repeating: 0, count: n * c)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for p in 0..<n { dst[p * c + ch] = src[ch * n + p] }
                }
            }
        }
        return Tokens(count: n, dim: c, data: out)
    }
}

extension Tokens {
    /// `b (h w) d -> b d h w`.
    public func featureMap(height: Int, width: Int) -> FeatureMap {
        precondition(height * width == count, "\(count) tokens do not fill a \(height)x\(width) grid")
        let n = count, c = dim
        var out = [Float](repeating: 0, count: n * c)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<n {
                    for ch in 0..<c { dst[ch * n + p] = src[p * c + ch] }
                }
            }
        }
        return FeatureMap(channels: c, height: height, width: width, data: out)
    }
}

/// Pixel-centre coordinates of an n-long axis, normalised to [-1, 1] with
/// `align_corners=False` (the reference's `linspace(-1 + 1/n, 1 - 1/n, n)`).
func normalisedCentres(_ n: Int) -> [Float] {
    linspace(Float(-1 + 1 / Double(n)), Float(1 - 1 / Double(n)), n)
}
