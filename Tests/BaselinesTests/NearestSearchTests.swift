import Testing
@testable import Baselines

/// The blocked BLAS search against OpenCV's brute-force matcher, on real SIFT
/// descriptors of the synthetic pair.
@Suite struct NearestSearchTests {
    static let features: (SIFTFeatures, SIFTFeatures) = {
        let pair = WarpedPair.shared
        return (try! SIFTFeatures.detect(imageAt: pair.a, maxFeatures: 8000),
                try! SIFTFeatures.detect(imageAt: pair.b, maxFeatures: 8000))
    }()

    @Test func agreesWithOpenCVBruteForce() throws {
        let (a, b) = Self.features
        let ours = nearestNeighboursBothWays(a: a.descriptors, countA: a.count, b: b.descriptors, countB: b.count,
                                             dim: SIFTFeatures.descriptorLength)
        let cvForward = try NearestNeighbours.search(query: a, train: b, k: 2)
        let cvBackward = try NearestNeighbours.search(query: b, train: a, k: 1)
        // SIFT descriptors have norm ≈ 512, so squared norms ≈ 2.6e5; float32 rounding
        // of ‖a‖² + ‖b‖² − 2a·b is then ~0.1 in d², i.e. well under 0.05 in distance for
        // distances above 1. Neighbour order can only differ where two candidates are
        // closer than that, which does not happen on this pair: require equal indices.
        #expect(ours.forward.index == cvForward.index)
        #expect(ours.backward.index == cvBackward.index)
        for (x, y) in Array(zip(ours.forward.distance, cvForward.distance)) + Array(zip(ours.backward.distance, cvBackward.distance)) {
            #expect(abs(x - y) <= 0.05 + 1e-4 * y, "distance \(x) vs OpenCV \(y)")
        }
    }

    /// Block boundaries must not change anything: 7-row blocks (not dividing the
    /// count) give exactly what one block gives.
    @Test func blockSizeDoesNotMatter() {
        let (a, b) = Self.features
        let dim = SIFTFeatures.descriptorLength
        let small = nearestNeighboursBothWays(a: a.descriptors, countA: a.count, b: b.descriptors, countB: b.count, dim: dim, blockRows: 7)
        let whole = nearestNeighboursBothWays(a: a.descriptors, countA: a.count, b: b.descriptors, countB: b.count, dim: dim, blockRows: a.count)
        #expect(small.forward == whole.forward)
        #expect(small.backward == whole.backward)
    }

    /// Hand-made 2-D points: exact neighbours, ties to the lower index, and the
    /// missing second neighbour when B has one row.
    @Test func smallHandMadeCase() {
        let a: [Float] = [0, 0, /**/ 10, 0, /**/ 0, 4]
        let b: [Float] = [1, 0, /**/ 9, 0, /**/ 0, 5]
        let r = nearestNeighboursBothWays(a: a, countA: 3, b: b, countB: 3, dim: 2)
        #expect(r.forward.index == [0, 2, 1, 0, 2, 0])
        #expect(r.forward.distance == [1, 5, 1, 9, 1, Float(17).squareRoot()])
        #expect(r.backward.index == [0, 1, 2])
        let single = nearestNeighboursBothWays(a: a, countA: 3, b: [5, 0], countB: 1, dim: 2)
        #expect(single.forward.index == [0, -1, 0, -1, 0, -1])
        #expect(single.forward.distance[1] == .infinity)
        #expect(single.backward.index == [0], "a0 and a1 are both 5 away: the lower index wins")
        let empty = nearestNeighboursBothWays(a: a, countA: 3, b: [], countB: 0, dim: 2)
        #expect(empty.forward.index.allSatisfy { $0 == -1 } && empty.backward.index.isEmpty)
    }

    @Test func bothSearchesGiveTheSameMatches() throws {
        let pair = WarpedPair.shared
        let blas = try siftMatches(imageA: pair.a, imageB: pair.b, options: SIFTOptions(search: .blas))
        let cv = try siftMatches(imageA: pair.a, imageB: pair.b, options: SIFTOptions(search: .opencv))
        #expect(blas.pointsA == cv.pointsA && blas.pointsB == cv.pointsB)
        #expect(zip(blas.certainty!, cv.certainty!).allSatisfy { abs($0 - $1) < 1e-3 })
    }
}
