import Checkpoint
import Foundation
import NN

/// What `RoMaV2Matcher` returns, channels-last at the head's resolution (1/4 of the image):
/// warp [1, h, w, 2] in normalised coordinates of the other image, confidence [1, h, w, C]
/// as the head outputs it (romav2's matcher: C = 1, the overlap logit). The B→A pair is
/// present iff the call was bidirectional.
public struct RoMaV2MatcherOutput: Sendable {
    public var warpAB: Tensor, confidenceAB: Tensor
    public var warpBA: Tensor?, confidenceBA: Tensor?
}

/// romav2 2.0.1's `Matcher` (matcher.py) at eval, in float32: descriptor layers concatenated,
/// the multi-view ViT over both views, cosine similarity / temperature softmaxed over B's
/// tokens, the match embedding (that softmax applied to B's sinusoidal positional grid),
/// and the DPT head on [first descriptor layer, last layer + ViT output + match embedding].
/// Weights under `matcher.` with romav2's names below it.
public struct RoMaV2Matcher: Sendable {
    public let shape: RoMaV2MatcherShape
    let transformer: MultiViewTransformer
    let head: DPTHead
    /// `scale · omega` [dim/2, 2]: the positional embedding's frequencies (x, y).
    let frequencies: Tensor
    let temperature: Float

    /// Intermediates of one direction, for the parity tests.
    struct Direction {
        var logits: Tensor, matchEmbedding: Tensor, head: Tensor, fused: Tensor?
    }

    /// `precision`: `.bf16` runs the ViT and the DPT head under romav2's bf16 autocast (the
    /// positional grid, similarity and softmax stay fp32, as romav2 computes them outside it).
    init(_ r: LayerReader, shape: RoMaV2MatcherShape, precision: Precision = .fp32) throws {
        try shape.validate()
        self.shape = shape
        transformer = try MultiViewTransformer(r("mv_vit"), shape: shape, precision: precision)
        head = try DPTHead(r("head"), shape: shape, precision: precision)
        let omega = try r.tensor("omega", [shape.dim / 2, 2])
        let scale = try r.scalar("scale")
        frequencies = Tensor(omega.map { scale * $0 }, shape: [shape.dim / 2, 2])
        temperature = try r.scalar("temp")
        guard temperature > 0 else { throw RoMaError("weight '\(r.prefix)temp' is \(temperature); the softmax temperature must be positive") }
    }

    /// Reads the matcher from `weights` (keys `matcher.…`).
    public init(weights: any WeightSource, shape: RoMaV2MatcherShape, precision: Precision = .fp32) throws {
        try self.init(LayerReader(weights, "matcher."), shape: shape, precision: precision)
    }

    /// features: the descriptor's layers for each image, each [1, h, w, featureDim]
    /// channels-last; images [1, 3, H, W] (romav2 hands them to the head, which ignores them;
    /// only their presence and size are checked, H = 16·h).
    public func callAsFunction(featuresA: [Tensor], featuresB: [Tensor], imageA: Tensor, imageB: Tensor,
                               bidirectional: Bool) throws -> RoMaV2MatcherOutput {
        let (ab, ba) = try run(featuresA: featuresA, featuresB: featuresB, imageA: imageA, imageB: imageB,
                               bidirectional: bidirectional, keepFused: false)
        func split(_ d: Direction) throws -> (Tensor, Tensor) {
            (try narrow(d.head, dim: 3, start: 0, length: shape.warpDim),
             try narrow(d.head, dim: 3, start: shape.warpDim, length: shape.confidenceDim))
        }
        let (warpAB, confidenceAB) = try split(ab)
        let back = try ba.map(split)
        return RoMaV2MatcherOutput(warpAB: warpAB, confidenceAB: confidenceAB, warpBA: back?.0, confidenceBA: back?.1)
    }

    /// Both directions' intermediates (B→A nil unless bidirectional), plus the ViT output [2, h·w, dim].
    func run(featuresA: [Tensor], featuresB: [Tensor], imageA: Tensor, imageB: Tensor, bidirectional: Bool,
             keepFused: Bool, transformerOutput: ((Tensor) -> Void)? = nil) throws -> (Direction, Direction?) {
        let (h, w) = try checkInputs(featuresA, featuresB, imageA, imageB)
        let workspace = Workspace()
        let catA = try concat(featuresA, dim: 3, workspace: workspace), catB = try concat(featuresB, dim: 3, workspace: workspace)
        let views = try transformer(catA, catB, workspace: workspace)   // [2, h·w, dim]
        workspace.recycle(catA)
        workspace.recycle(catB)
        transformerOutput?(views)
        let n = h * w
        let viewA = Tensor(storage: views.storage, offset: views.offset, shape: [1, h, w, shape.dim])
        let viewB = Tensor(storage: views.storage, offset: views.offset + n * shape.dim, shape: [1, h, w, shape.dim])
        let positions = try positionalGrid(height: h, width: w)
        let ab = try direction(features: featuresA, mine: viewA, other: viewB, positions: positions, keepFused: keepFused, workspace: workspace)
        let ba = bidirectional
            ? try direction(features: featuresB, mine: viewB, other: viewA, positions: positions, keepFused: keepFused, workspace: workspace)
            : nil
        return (ab, ba)
    }

    /// One direction: logits [1, h, w, h, w], match embedding [1, h, w, dim], head output [1, 4h, 4w, 3].
    private func direction(features: [Tensor], mine: Tensor, other: Tensor, positions: Tensor, keepFused: Bool,
                           workspace: Workspace) throws -> Direction {
        let (h, w) = (mine.shape[1], mine.shape[2])
        let n = h * w
        let (logits, embedding) = try StageClock.measure("v2 matcher: match embedding") { () throws -> (Tensor, Tensor) in
            let a = try unitRows(try mine.reshaped([n, shape.dim])), b = try unitRows(try other.reshaped([n, shape.dim]))
            // (1 / temp) · cos_sim, as romav2 multiplies by the reciprocal (10 exactly for temp 0.1).
            let logits = try matmul(a, b, transposeB: true, alpha: 1 / temperature)   // [n, n]
            FlopCounter.add(4 * Double(n * n * shape.dim))
            let attention = try softmax(logits)
            let embedding = try matmul(attention, positions)   // [n, dim]
            return (try logits.reshaped([1, h, w, h, w]), try embedding.reshaped([1, h, w, shape.dim]))
        }
        // head input: [f_0, …, f_last + ViT output + match embedding]
        var tokens = features
        let last = try add(try add(features[features.count - 1], mine), embedding)
        tokens[tokens.count - 1] = last
        var fused: Tensor?
        let out = try StageClock.measure("v2 matcher: DPT head") {
            try head(tokens, workspace: workspace, fused: keepFused ? { fused = $0.copy() } : nil)
        }
        return Direction(logits: logits, matchEmbedding: embedding, head: out, fused: fused)
    }

    /// B's positional grid [h·w, dim]: cat(sin, cos) of (x, y)·(scale·omega)ᵀ over
    /// `get_normalized_grid`'s pixel-centre coordinates (x from the width, y from the height).
    private func positionalGrid(height h: Int, width w: Int) throws -> Tensor {
        let xs = normalisedCentres(w), ys = normalisedCentres(h)
        var grid = [Float](repeating: 0, count: h * w * 2)
        for y in 0..<h {
            for x in 0..<w {
                grid[2 * (y * w + x)] = xs[x]
                grid[2 * (y * w + x) + 1] = ys[y]
            }
        }
        let angles = try linear(Tensor(grid, shape: [h * w, 2]), weight: frequencies)   // [h·w, dim/2]
        let s = try mapElements(angles) { Foundation.sin($0) }, c = try mapElements(angles) { Foundation.cos($0) }
        return try concat([s, c], dim: 1)
    }

    /// Rows divided by their Euclidean norm (`x / x.norm(dim=-1, keepdim=True)`, no epsilon).
    private func unitRows(_ x: Tensor) throws -> Tensor {
        let (rows, d) = (x.shape[0], x.shape[1])
        let out = Tensor(uninitialized: x.shape)
        for r in 0..<rows {
            let src = x.pointer + r * d, dst = out.pointer + r * d
            var sum: Float = 0
            for j in 0..<d { sum += src[j] * src[j] }
            let norm = sum.squareRoot()
            for j in 0..<d { dst[j] = src[j] / norm }
        }
        return out
    }

    /// Token grid (h, w) after checking every input's shape against the others and `shape`.
    private func checkInputs(_ fA: [Tensor], _ fB: [Tensor], _ imageA: Tensor, _ imageB: Tensor) throws -> (Int, Int) {
        guard fA.count == shape.featureLayers, fB.count == shape.featureLayers else {
            throw RoMaError("RoMa v2 matcher: expected \(shape.featureLayers) descriptor layers per image, got \(fA.count) and \(fB.count)")
        }
        guard let first = fA.first, first.rank == 4, first.shape[0] == 1 else {
            throw RoMaError("RoMa v2 matcher: descriptor features must be [1, h, w, \(shape.featureDim)], got \(fA.first?.shape ?? [])")
        }
        let (h, w) = (first.shape[1], first.shape[2])
        for (label, t) in fA.map({ ("A", $0) }) + fB.map({ ("B", $0) }) where t.shape != [1, h, w, shape.featureDim] {
            throw RoMaError("RoMa v2 matcher: descriptor features of \(label) are \(t.shape), expected [1, \(h), \(w), \(shape.featureDim)] (A and B must share one token grid)")
        }
        let side = RoMaV2MatcherShape.patchSize
        for (label, image) in [("A", imageA), ("B", imageB)] where image.shape != [1, 3, side * h, side * w] {
            throw RoMaError("RoMa v2 matcher: image \(label) is \(image.shape), expected [1, 3, \(side * h), \(side * w)] for a \(h)x\(w) token grid")
        }
        return (h, w)
    }
}

extension LayerReader {
    /// A 0-dimensional buffer (romav2's `temp`, `scale`); romav2 stores `scale` as an integer
    /// tensor, which the typed `tensor` refuses, so a `StateDict` source is read untyped.
    func scalar(_ name: String) throws -> Float {
        do {
            return try tensor(name, [])[0]
        } catch {
            guard let dict = source as? StateDict, let loaded = try? dict.tensor(prefix + name), loaded.shape == [],
                  let value = loaded.values.first else { throw error }
            return value
        }
    }
}
