/// One accepted correspondence between keypoint `a` of image A and `b` of image B.
public struct FilteredMatch: Sendable, Equatable {
    public let a: Int
    public let b: Int
    /// Nearest over second-nearest descriptor distance, in [0, 1]; 0 when there is no
    /// second neighbour (a single candidate is unambiguous).
    public let ratio: Double
}

/// Lowe's ratio test and the mutual nearest-neighbour check, as a pure function of
/// the neighbour tables so it can be tested without images.
///
/// - `forward`: for each keypoint of A, its two nearest keypoints of B (k = 2).
/// - `backward`: for each keypoint of B, its nearest keypoint of A (k ≥ 1); only read
///   when `mutual` is on.
/// A match a → b survives when d1 < ratio · d2 (strictly, as in Lowe's test; with no
/// second neighbour the test passes) and, with `mutual`, when b's nearest keypoint in
/// A is a. Results are in increasing order of `a`.
public func filterMatches(forward: NearestNeighbours, backward: NearestNeighbours?, ratio: Double, mutual: Bool) -> [FilteredMatch] {
    precondition(forward.k == 2, "the ratio test needs the two nearest neighbours")
    precondition(!mutual || backward != nil, "the mutual check needs the backward neighbours")
    var kept: [FilteredMatch] = []
    for a in 0..<forward.queryCount {
        let b = Int(forward.index[2 * a])
        guard b >= 0 else { continue }
        let d1 = Double(forward.distance[2 * a])
        let d2 = Double(forward.distance[2 * a + 1])
        let r: Double
        if d2.isFinite {
            guard d1 < ratio * d2 else { continue }
            r = d2 > 0 ? d1 / d2 : 0
        } else {
            r = 0
        }
        if mutual, let backward {
            guard b < backward.queryCount, Int(backward.index[b * backward.k]) == a else { continue }
        }
        kept.append(FilteredMatch(a: a, b: b, ratio: r))
    }
    return kept
}
