import OpenCVLoader
import Parallel

/// The k nearest train descriptors (k = 1 or 2) of each query descriptor, by L2
/// distance. Row i holds the neighbours of query i, nearest first; a neighbour that
/// does not exist (fewer than k train rows) has index -1 and distance +∞.
public struct NearestNeighbours: Sendable, Equatable {
    public let k: Int
    public let index: [Int32]
    public let distance: [Float]

    public var queryCount: Int { index.count / k }

    public init(k: Int, index: [Int32], distance: [Float]) {
        precondition(k >= 1 && index.count == distance.count && index.count % k == 0)
        self.k = k
        self.index = index
        self.distance = distance
    }

    /// Brute force over all train descriptors (OpenCV's BFMatcher, L2).
    public static func search(query: SIFTFeatures, train: SIFTFeatures, k: Int) throws -> NearestNeighbours {
        guard k == 1 || k == 2 else { throw SIFTError.invalidOption("nearest-neighbour k must be 1 or 2 (got \(k))") }
        let n = query.count
        var index = [Int32](repeating: -1, count: n * k)
        var distance = [Float](repeating: .infinity, count: n * k)
        if n > 0 && train.count > 0 {
            let status = query.descriptors.withUnsafeBufferPointer { q in
                train.descriptors.withUnsafeBufferPointer { t in
                    index.withUnsafeMutableBufferPointer { idx in
                        distance.withUnsafeMutableBufferPointer { dist in
                            cvshim_sift_nearest(q.baseAddress, Int32(n), t.baseAddress, Int32(train.count),
                                                Int32(k), Int32(clamping: Threads.count), idx.baseAddress, dist.baseAddress)
                        }
                    }
                }
            }
            guard status == 0 else { throw SIFTError.openCV("nearest-neighbour search (code \(status))") }
        }
        return NearestNeighbours(k: k, index: index, distance: distance)
    }
}
