import Artifacts
import Foundation

/// Turns per-pair matches into per-image keypoints shared by all pairs, which is what
/// COLMAP (and hloc's sparse layout) need to form tracks: dense matchers sample
/// different points in every pair, so the same surface point is never exactly the
/// same keypoint twice.
///
/// With a cell size c > 0 (pixels), each keypoint snaps to the centre of its c × c
/// cell of the image grid (cells [k·c, (k+1)·c), in `roma.matches/1`'s convention,
/// so c = 1 snaps to pixel centres): a keypoint moves by at most c/2 along each axis,
/// and every match landing in the same cell of an image shares one keypoint. hloc's
/// `match_dense` quantises the same way (its `cell_size`). Within a pair, several
/// matches may then share a keypoint; as hloc's `get_unique_matches`, only a match
/// that has the best certainty of all matches on both its keypoints is kept.
///
/// With c = 0 nothing moves or merges: each pair's keypoints are appended to its
/// images' lists, so every pair keeps exactly its own matches (no tracks across pairs;
/// for round trips such as a benchmark through hloc files).
public struct KeypointMerger {
    public let cellSize: Double
    /// Per image: keypoints (x, y) row-major, our convention.
    public private(set) var keypoints: [String: [Double]] = [:]
    private var cells: [String: [SIMD2<Int64>: Int32]] = [:]

    public init(cellSize: Double) {
        precondition(cellSize >= 0 && cellSize.isFinite)
        self.cellSize = cellSize
    }

    /// One pair's matches as indices into the images' keypoints: `indices[k]` for
    /// input match k (nil when a coordinate is not finite), and the kept matches.
    public struct PairIndices: Sendable {
        public var indices: [(a: Int32, b: Int32)?]
        /// Input match numbers kept after removing many-to-one conflicts, in input order.
        public var kept: [Int]
    }

    public mutating func add(imageA: String, imageB: String, matches: Matches) -> PairIndices {
        var indices: [(a: Int32, b: Int32)?] = []
        indices.reserveCapacity(matches.count)
        for k in 0..<matches.count {
            let (xa, ya) = (matches.pointsA[2 * k], matches.pointsA[2 * k + 1])
            let (xb, yb) = (matches.pointsB[2 * k], matches.pointsB[2 * k + 1])
            guard xa.isFinite, ya.isFinite, xb.isFinite, yb.isFinite else { indices.append(nil); continue }
            indices.append((index(imageA, xa, ya), index(imageB, xb, yb)))
        }
        return PairIndices(indices: indices, kept: unique(indices, certainty: matches.certainty))
    }

    private mutating func index(_ image: String, _ x: Double, _ y: Double) -> Int32 {
        guard cellSize > 0 else {
            keypoints[image, default: []] += [x, y]
            return Int32(keypoints[image]!.count / 2 - 1)
        }
        let cell = SIMD2<Int64>(Int64((x / cellSize).rounded(.down)), Int64((y / cellSize).rounded(.down)))
        if let existing = cells[image]?[cell] { return existing }
        let index = Int32((keypoints[image]?.count ?? 0) / 2)
        keypoints[image, default: []] += [(Double(cell.x) + 0.5) * cellSize, (Double(cell.y) + 0.5) * cellSize]
        cells[image, default: [:]][cell] = index
        return index
    }

    /// Matches that hold the best certainty on both their keypoints (ties: the first).
    private func unique(_ indices: [(a: Int32, b: Int32)?], certainty: [Double]?) -> [Int] {
        var bestA: [Int32: Int] = [:], bestB: [Int32: Int] = [:]
        func better(_ k: Int, than j: Int?) -> Bool {
            guard let j else { return true }
            let (ck, cj) = (certainty?[k] ?? 1, certainty?[j] ?? 1)
            return ck > cj
        }
        for (k, pair) in indices.enumerated() {
            guard let pair else { continue }
            if better(k, than: bestA[pair.a]) { bestA[pair.a] = k }
            if better(k, than: bestB[pair.b]) { bestB[pair.b] = k }
        }
        return indices.indices.filter { k in
            guard let pair = indices[k] else { return false }
            return bestA[pair.a] == k && bestB[pair.b] == k
        }
    }
}
