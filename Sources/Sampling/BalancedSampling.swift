import Artifacts
import Parallel

/// Draws sparse matches from a dense symmetric warp as romatch 0.1.2's
/// `RegressionMatcher.sample` does (see docs/sampling.md):
/// 1. in the threshold modes, certainty above `threshold` counts as 1;
/// 2. draw min(4·count, cells) cells of both halves without replacement, with
///    probability ∝ certainty (`count` only, in `.threshold` mode, which stops here);
/// 3. Gaussian kernel density of those 4-D matches, σ = 0.1;
/// 4. weight 1/(density + 1), or 1e-7 where density < 10;
/// 5. draw `count` of them without replacement by those weights.
///
/// Points are in pixels of the original images (x = W/2·(u + 1)); certainty is
/// the warp's own value at the drawn cell (the reference returns the thresholded
/// one, which is 1 almost everywhere and tells nothing).
public func sampleMatches(from warp: Warp, options: SamplingOptions) throws -> Matches {
    let space = MatchSpace(warp)
    let cells = try sampleCells(from: warp, options: options)
    let certainty = space.certainties()
    var pointsA = [Double](), pointsB = [Double](), certainties = [Double]()
    pointsA.reserveCapacity(2 * cells.count)
    pointsB.reserveCapacity(2 * cells.count)
    certainties.reserveCapacity(cells.count)
    for k in cells {
        let m = space.match(k)
        pointsA += [Double(warp.widthA) / 2 * (Double(m.x) + 1), Double(warp.heightA) / 2 * (Double(m.y) + 1)]
        pointsB += [Double(warp.widthB) / 2 * (Double(m.z) + 1), Double(warp.heightB) / 2 * (Double(m.w) + 1)]
        certainties.append(Double(certainty[k]))
    }
    return Matches(pointsA: pointsA, pointsB: pointsB, certainty: certainties)
}

/// The drawn cells in the reference's numbering (row k / 2W, column k mod 2W of its
/// H × 2W symmetric warp; see `MatchSpace`), in drawing order.
public func sampleCells(from warp: Warp, options: SamplingOptions) throws -> [Int] {
    try validate(warp, options)
    let space = MatchSpace(warp)
    var weights = space.certainties()
    if options.mode.thresholds {
        for i in weights.indices where weights[i] > options.threshold { weights[i] = 1 }
    }
    guard weights.contains(where: { $0 > 0 }) else {
        throw SamplingError("every certainty is zero: there is no match to sample (do the images overlap?)")
    }

    let expansion = options.mode.balances ? SamplingOptions.Reference.expansionFactor : 1
    let (wanted, overflow) = expansion.multipliedReportingOverflow(by: options.count)
    let candidateCount = overflow ? space.cellCount : min(wanted, space.cellCount)
    let candidates = weightedSampleWithoutReplacement(
        weights: weights, count: candidateCount, seed: SplitMix64.derive(seed: options.seed, stream: 1))
    guard options.mode.balances else { return candidates }

    let points = normalizedMatches(of: warp, cells: candidates)
    let std = SamplingOptions.Reference.kernelStd
    let density = options.kdeStride > 1 ? KernelDensity.densities(points: points, std: std, stride: options.kdeStride)
                                        : KernelDensity.densities(points: points, std: std)
    let balance = balancingWeights(density: density)
    let chosen = weightedSampleWithoutReplacement(
        weights: balance, count: min(options.count, candidates.count), seed: SplitMix64.derive(seed: options.seed, stream: 2))
    return chosen.map { candidates[$0] }
}

/// Step 4: favour matches in sparse regions, but drop (nearly) those with too few
/// neighbours to be trusted.
public func balancingWeights(density: [Float]) -> [Float] {
    density.map { $0 < SamplingOptions.Reference.minimumDensity ? SamplingOptions.Reference.sparseWeight : 1 / ($0 + 1) }
}

private func validate(_ warp: Warp, _ options: SamplingOptions) throws {
    guard options.count > 0 else { throw SamplingError("the number of matches to draw must be positive, not \(options.count)") }
    guard options.threshold.isFinite, options.threshold >= 0 else {
        throw SamplingError("the certainty threshold must be a finite number ≥ 0, not \(options.threshold)")
    }
    guard options.kdeStride >= 1 else { throw SamplingError("the density stride must be at least 1, not \(options.kdeStride)") }
    let cells = warp.width * warp.height
    guard warp.width > 0, warp.height > 0 else { throw SamplingError("the warp grid is empty (\(warp.width) × \(warp.height))") }
    for (name, values, expected) in [("warp_ab", warp.warpAB, 2 * cells), ("warp_ba", warp.warpBA, 2 * cells),
                                     ("certainty_ab", warp.certaintyAB, cells), ("certainty_ba", warp.certaintyBA, cells)] {
        guard values.count == expected else {
            throw SamplingError("'\(name)' holds \(values.count) values, expected \(expected) for a \(warp.height) × \(warp.width) grid")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw SamplingError("'\(name)' holds a non-finite value (\(values[bad])) at element \(bad)")
        }
    }
    for (name, values) in [("certainty_ab", warp.certaintyAB), ("certainty_ba", warp.certaintyBA)] {
        if let bad = values.firstIndex(where: { $0 < 0 }) {
            throw SamplingError("'\(name)' holds a negative certainty (\(values[bad])) at element \(bad); certainties are probabilities")
        }
    }
    guard [warp.widthA, warp.heightA, warp.widthB, warp.heightB].allSatisfy({ $0 > 0 }) else {
        throw SamplingError("image sizes must be positive (A \(warp.widthA)×\(warp.heightA), B \(warp.widthB)×\(warp.heightB))")
    }
}
