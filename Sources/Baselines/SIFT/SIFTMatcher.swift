import Artifacts

/// Everything one SIFT matching run found, for callers that want more than the matches
/// (e.g. `roma sift` records keypoint counts and image sizes in the artifact).
public struct SIFTMatchResult: Sendable {
    public let matches: Matches
    public let keypointsA: Int
    public let keypointsB: Int
    public let widthA: Int
    public let heightA: Int
    public let widthB: Int
    public let heightB: Int

    /// The artifact `roma sift` writes: `roma.matches/1` plus image sizes and
    /// keypoint counts in the metadata (provenance is added by the caller).
    public var artifact: Artifact {
        var a = matches.artifact
        a.metadata["width_a"] = String(widthA)
        a.metadata["height_a"] = String(heightA)
        a.metadata["width_b"] = String(widthB)
        a.metadata["height_b"] = String(heightB)
        a.metadata["keypoints_a"] = String(keypointsA)
        a.metadata["keypoints_b"] = String(keypointsB)
        a.metadata["matcher"] = "sift"
        return a
    }
}

/// OpenCV SIFT matches between two image files, in the tool's pixel convention
/// (top-left pixel centre at (0.5, 0.5)), with certainty = 1 − distance ratio.
/// Deterministic: the same files and options give the same matches in the same order.
public func siftMatches(imageA: String, imageB: String, options: SIFTOptions = SIFTOptions()) throws -> Matches {
    try siftMatchResult(imageA: imageA, imageB: imageB, options: options).matches
}

/// `siftMatches` with the keypoint counts and image sizes.
public func siftMatchResult(imageA: String, imageB: String, options: SIFTOptions = SIFTOptions()) throws -> SIFTMatchResult {
    try options.validate()
    let featuresA = try SIFTFeatures.detect(imageAt: imageA, maxFeatures: options.maxFeatures)
    let featuresB = try SIFTFeatures.detect(imageAt: imageB, maxFeatures: options.maxFeatures)
    let forward: NearestNeighbours, backward: NearestNeighbours?
    switch options.search {
    case .blas:
        let both = nearestNeighboursBothWays(a: featuresA.descriptors, countA: featuresA.count,
                                             b: featuresB.descriptors, countB: featuresB.count,
                                             dim: SIFTFeatures.descriptorLength)
        (forward, backward) = (both.forward, both.backward)
    case .opencv:
        forward = try NearestNeighbours.search(query: featuresA, train: featuresB, k: 2)
        backward = options.mutual ? try NearestNeighbours.search(query: featuresB, train: featuresA, k: 1) : nil
    }
    let kept = filterMatches(forward: forward, backward: backward, ratio: options.ratio, mutual: options.mutual)
    return SIFTMatchResult(
        matches: toolMatches(kept, featuresA, featuresB),
        keypointsA: featuresA.count, keypointsB: featuresB.count,
        widthA: featuresA.width, heightA: featuresA.height,
        widthB: featuresB.width, heightB: featuresB.height)
}

/// OpenCV puts pixel centres at integers; the tool's convention (docs/artifacts.md,
/// the reference's `to_pixel_coordinates`) puts them at half-integers.
let openCVToToolPixelShift = 0.5

func toolMatches(_ kept: [FilteredMatch], _ a: SIFTFeatures, _ b: SIFTFeatures) -> Matches {
    var pointsA: [Double] = []
    var pointsB: [Double] = []
    var certainty: [Double] = []
    pointsA.reserveCapacity(2 * kept.count)
    pointsB.reserveCapacity(2 * kept.count)
    certainty.reserveCapacity(kept.count)
    for m in kept {
        pointsA.append(Double(a.points[2 * m.a]) + openCVToToolPixelShift)
        pointsA.append(Double(a.points[2 * m.a + 1]) + openCVToToolPixelShift)
        pointsB.append(Double(b.points[2 * m.b]) + openCVToToolPixelShift)
        pointsB.append(Double(b.points[2 * m.b + 1]) + openCVToToolPixelShift)
        certainty.append(1 - m.ratio)
    }
    return Matches(pointsA: pointsA, pointsB: pointsB, certainty: certainty)
}
