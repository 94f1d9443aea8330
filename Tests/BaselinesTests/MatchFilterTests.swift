import Testing
@testable import Baselines

/// The ratio test and mutual check on hand-made neighbour tables.
@Suite struct MatchFilterTests {
    // A has 4 keypoints, B has 3.
    let forward = NearestNeighbours(
        k: 2,
        index: [0, 1, /**/ 1, 0, /**/ 2, 1, /**/ 2, 0],
        distance: [1, 10, /**/ 4, 5, /**/ 2, 3, /**/ 1, 4])
    // Nearest keypoint of A for each keypoint of B.
    let backward = NearestNeighbours(k: 1, index: [0, 1, 3], distance: [1, 4, 1])

    @Test func ratioTestIsStrict() {
        // ratios: 0.1, 0.8, 0.667, 0.25
        let kept = filterMatches(forward: forward, backward: nil, ratio: 0.8, mutual: false)
        #expect(kept.map(\.a) == [0, 2, 3], "0.8 is not below 0.8")
        #expect(kept.map(\.b) == [0, 2, 2])
        #expect(abs(kept[1].ratio - 2.0 / 3.0) < 1e-12)
    }

    @Test func mutualCheckDropsOneSidedMatches() {
        // Keypoint 2 of A points to B's 2, whose nearest in A is 3: dropped.
        let kept = filterMatches(forward: forward, backward: backward, ratio: 0.8, mutual: true)
        #expect(kept.map(\.a) == [0, 3])
        #expect(kept.map(\.b) == [0, 2])
    }

    @Test func ratioOneKeepsAllButTies() {
        let kept = filterMatches(forward: forward, backward: nil, ratio: 1, mutual: false)
        #expect(kept.count == 4)
        let tie = NearestNeighbours(k: 2, index: [0, 1], distance: [3, 3])
        #expect(filterMatches(forward: tie, backward: nil, ratio: 1, mutual: false).isEmpty)
    }

    /// With a single keypoint in B there is no second neighbour: the match is
    /// unambiguous and kept with ratio 0; no keypoint in B gives no match.
    @Test func missingNeighbours() {
        let single = NearestNeighbours(k: 2, index: [0, -1], distance: [7, .infinity])
        let kept = filterMatches(forward: single, backward: nil, ratio: 0.8, mutual: false)
        #expect(kept == [FilteredMatch(a: 0, b: 0, ratio: 0)])
        let none = NearestNeighbours(k: 2, index: [-1, -1], distance: [.infinity, .infinity])
        #expect(filterMatches(forward: none, backward: nil, ratio: 0.8, mutual: false).isEmpty)
    }

    /// OpenCV keypoints have pixel centres at integers; matches use half-integers.
    @Test func pixelConventionShiftsByHalf() {
        let a = SIFTFeatures(width: 10, height: 10, points: [0, 0, 3, 4],
                             descriptors: [Float](repeating: 0, count: 2 * SIFTFeatures.descriptorLength))
        let b = SIFTFeatures(width: 10, height: 10, points: [9, 9],
                             descriptors: [Float](repeating: 0, count: SIFTFeatures.descriptorLength))
        let m = toolMatches([FilteredMatch(a: 1, b: 0, ratio: 0.25)], a, b)
        #expect(m.pointsA == [3.5, 4.5])
        #expect(m.pointsB == [9.5, 9.5])
        #expect(m.certainty == [0.75])
    }
}
