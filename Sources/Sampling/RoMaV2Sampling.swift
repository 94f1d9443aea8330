import Artifacts
import Parallel

/// How `sampleMatches(from: PrecisionWarp, …)` draws: romav2 2.0.1's `RoMaV2.sample`,
/// which has one mode; only the count, the threshold and the seed vary.
public struct RoMaV2SamplingOptions: StageOptions, Equatable {
    public static let stage = "sample"

    public var count: Int
    /// Overlap above this counts as 1 (romav2 applies its setting's threshold when it
    /// maps the confidence: 0.05 for mega1500/scannet1500, none for precise…base).
    public var threshold: Float?
    public var seed: UInt64
    public var recordedSeed: UInt64? { seed }

    public init(count: Int = 5000, threshold: Float? = nil, seed: UInt64 = 0) {
        self.count = count
        self.threshold = threshold
        self.seed = seed
    }

    /// The parameters as recorded in an artifact's provenance (with `seed`).
    public var params: [String: any Sendable] {
        ["sampler": "romav2", "num": count, "thresh": threshold.map { Double("\($0)") ?? Double($0) } ?? "none",
         "expansion_factor": SamplingOptions.Reference.expansionFactor,
         "kde_std": 0.1, "kde_precision": "float16", "border": "max|coord| <= 1 - 1/H"]
    }
}

/// A draw from a RoMa v2 warp: the cells (romav2's numbering: A→B cells row-major, then
/// B→A cells) and the matches they give.
public struct RoMaV2Sample: Sendable {
    public var cells: [Int]
    public var matches: Matches
}

/// romav2 2.0.1's `RoMaV2.sample` (romav2/romav2.py) on a `roma.warp/3` warp:
/// 1. every cell of both directions is a 4-D match (x_A, y_A, x_B, y_B), A→B cells
///    first; its weight is its overlap (1 above the threshold, if any), zero when any
///    coordinate is beyond 1 − 1/H (H the grid height, as romav2);
/// 2. min(4·count, cells) candidates drawn without replacement ∝ weight;
/// 3. their kernel density in float16 (`HalfKernelDensity`), σ = 0.1;
/// 4. weight 1/(density + 1) in float16, or float16(1e-7) where density < 10;
/// 5. min(count, candidates) drawn without replacement by those weights.
///
/// Each match carries the warp's own overlap (romav2 returns the thresholded one) and
/// the precision of both keypoints: the cell's own direction gives the target side's,
/// the other direction's map bilinearly sampled at the warp (zero outside) the source
/// side's, as romav2 does; both converted to 1/px² of the original images (romav2's
/// `prec_map_coordinates`). One-way warps carry only B's precision (romav2 returns rows
/// of it there).
public func sampleMatches(from warp: PrecisionWarp, options: RoMaV2SamplingOptions) throws -> RoMaV2Sample {
    let space = RoMaV2MatchSpace(warp)
    let candidates = try RoMaV2Candidates.cells(space, options: options)
    let density = HalfKernelDensity.densities(points: candidates.flatMap { space.match($0) })
    let chosen = weightedSampleWithoutReplacement(
        weights: RoMaV2MatchSpace.balancingWeights(density: density), count: min(options.count, candidates.count),
        seed: SplitMix64.derive(seed: options.seed, stream: 2))
    let cells = chosen.map { candidates[$0] }
    return RoMaV2Sample(cells: cells, matches: space.matches(cells))
}

/// Steps 1–2 of `sampleMatches`, apart for benchmarks of step 3.
public enum RoMaV2Candidates {
    /// The candidates' 4-D matches (n × 4, normalised), the kernel density's input.
    public static func points(from warp: PrecisionWarp, options: RoMaV2SamplingOptions) throws -> [Float] {
        let space = RoMaV2MatchSpace(warp)
        return try cells(space, options: options).flatMap { space.match($0) }
    }

    static func cells(_ space: RoMaV2MatchSpace, options: RoMaV2SamplingOptions) throws -> [Int] {
        guard options.count > 0 else { throw SamplingError("the number of matches to draw must be positive, not \(options.count)") }
        if let t = options.threshold, !(t.isFinite && t >= 0) {
            throw SamplingError("the overlap threshold must be a finite number ≥ 0, not \(t)")
        }
        do { try space.warp.validate() } catch let error as ArtifactError { throw SamplingError(error.problem) }
        let weights = space.weights(threshold: options.threshold)
        guard weights.contains(where: { $0 > 0 }) else {
            throw SamplingError("every overlap inside the border is zero: there is no match to sample (do the images overlap?)")
        }
        let (wanted, overflow) = SamplingOptions.Reference.expansionFactor.multipliedReportingOverflow(by: options.count)
        return weightedSampleWithoutReplacement(
            weights: weights, count: overflow ? weights.count : min(wanted, weights.count), seed: SplitMix64.derive(seed: options.seed, stream: 1))
    }
}

/// romav2's flattened view of a `PrecisionWarp`: cell k < HW is A→B cell k (row-major),
/// cell HW + k is B→A cell k.
struct RoMaV2MatchSpace {
    let warp: PrecisionWarp

    init(_ warp: PrecisionWarp) { self.warp = warp }

    var cellsPerDirection: Int { warp.width * warp.height }

    /// Step 1's weights: overlap, thresholded, times the border mask.
    func weights(threshold: Float?) -> [Float] {
        let n = cellsPerDirection
        var out = [Float](repeating: 0, count: warp.bidirectional ? 2 * n : n)
        // torch compares float32 values with the Python scalar 1 − 1/H cast to float32.
        let limit = Float(1 - 1 / Double(warp.height))
        for (offset, d) in [(0, warp.ab)] + (warp.ba.map { [(n, $0)] } ?? []) {
            for k in 0..<n {
                var w = d.overlap[k]
                if let threshold, w > threshold { w = 1 }
                let gridInside = gridWithinBorder(k)
                let warpInside = abs(d.warp[2 * k]) <= limit && abs(d.warp[2 * k + 1]) <= limit
                out[offset + k] = gridInside && warpInside ? w : 0
            }
        }
        return out
    }

    /// Whether cell k's own grid centre passes the border test, decided exactly:
    /// |(2i + 1)/n − 1| ≤ 1 − 1/H ⇔ |2i + 1 − n|·H ≤ (H − 1)·n. (torch's float32
    /// linspace gives the same answer; with a square grid every cell passes.)
    private func gridWithinBorder(_ k: Int) -> Bool {
        let h = warp.height, w = warp.width
        let row = k / w, col = k % w
        return abs(2 * col + 1 - w) * h <= (h - 1) * w && abs(2 * row + 1 - h) * h <= (h - 1) * h
    }

    /// The 4-D match of cell `k`, normalised.
    func match(_ k: Int) -> [Float] {
        let n = cellsPerDirection
        let own = k % n
        let u = Float(2 * (own % warp.width) + 1) / Float(warp.width) - 1
        let v = Float(2 * (own / warp.width) + 1) / Float(warp.height) - 1
        if k < n { return [u, v, warp.ab.warp[2 * own], warp.ab.warp[2 * own + 1]] }
        return [warp.ba!.warp[2 * own], warp.ba!.warp[2 * own + 1], u, v]
    }

    /// Step 4, in float16 as romav2's `1 / (density + 1)` on a float16 density.
    static func balancingWeights(density: [Float]) -> [Float] {
        let sparse = Float(Float16(SamplingOptions.Reference.sparseWeight))
        return density.map { $0 < SamplingOptions.Reference.minimumDensity ? sparse : Float(Float16(1 / Float(Float16($0 + 1)))) }
    }

    /// Keypoints in pixels, raw overlap, precisions in 1/px² of the original images.
    func matches(_ cells: [Int]) -> Matches {
        let n = cellsPerDirection
        var pointsA = [Double](), pointsB = [Double](), overlap = [Double]()
        var precisionA = [Double](), precisionB = [Double]()
        // Grid pixels per image pixel, per axis: P_image = D P_grid D (romav2's prec_map_coordinates).
        let scaleA = (Double(warp.width) / Double(warp.widthA), Double(warp.height) / Double(warp.heightA))
        let scaleB = (Double(warp.width) / Double(warp.widthB), Double(warp.height) / Double(warp.heightB))
        for k in cells {
            let m = match(k).map(Double.init)
            pointsA += [Double(warp.widthA) / 2 * (m[0] + 1), Double(warp.heightA) / 2 * (m[1] + 1)]
            pointsB += [Double(warp.widthB) / 2 * (m[2] + 1), Double(warp.heightB) / 2 * (m[3] + 1)]
            let own = k % n
            let forward = k < n
            overlap.append(Double((forward ? warp.ab : warp.ba!).overlap[own]))
            let target = Array((forward ? warp.ab : warp.ba!).precision[(4 * own)..<(4 * own + 4)])
            if let ba = warp.ba {
                let other = forward ? ba : warp.ab
                let d = forward ? warp.ab : ba
                let source = bilinear(other.precision, at: (d.warp[2 * own], d.warp[2 * own + 1]))
                precisionA += scaled(forward ? source : target, scaleA)
                precisionB += scaled(forward ? target : source, scaleB)
            } else {
                precisionB += scaled(target, scaleB)
            }
        }
        return Matches(pointsA: pointsA, pointsB: pointsB, certainty: overlap,
                       precisionA: warp.bidirectional ? precisionA : nil, precisionB: precisionB)
    }

    private func scaled(_ p: [Float], _ s: (Double, Double)) -> [Double] {
        [Double(p[0]) * s.0 * s.0, Double(p[1]) * s.0 * s.1, Double(p[2]) * s.1 * s.0, Double(p[3]) * s.1 * s.1]
    }

    /// torch's grid_sample(mode="bilinear", padding_mode="zeros", align_corners=False)
    /// of an H × W × 4 map at normalised (x, y).
    private func bilinear(_ map: [Float], at p: (Float, Float)) -> [Float] {
        let w = warp.width, h = warp.height
        let x = ((p.0 + 1) * Float(w) - 1) / 2, y = ((p.1 + 1) * Float(h) - 1) / 2
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let fx = x - Float(x0), fy = y - Float(y0)
        var out = [Float](repeating: 0, count: 4)
        for (dy, wy) in [(0, 1 - fy), (1, fy)] {
            for (dx, wx) in [(0, 1 - fx), (1, fx)] {
                let xi = x0 + dx, yi = y0 + dy
                guard xi >= 0, xi < w, yi >= 0, yi < h else { continue }
                for c in 0..<4 { out[c] += wy * wx * map[4 * (yi * w + xi) + c] }
            }
        }
        return out
    }
}
