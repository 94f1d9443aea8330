import Artifacts

/// Settings of the SIFT baseline matcher (`roma sift`).
public struct SIFTOptions: StageOptions, Equatable {
    public static let stage = "sift"

    /// How many keypoints to keep per image, strongest first (OpenCV's `nfeatures`).
    public var maxFeatures: Int
    /// Lowe's ratio test: a match is kept when its nearest descriptor distance is
    /// below `ratio` times the second nearest. 1 keeps every nearest neighbour.
    public var ratio: Double
    /// Keep a match only when the two keypoints are each other's nearest neighbour.
    public var mutual: Bool
    /// How nearest neighbours are found; both are exhaustive, so they agree up to
    /// float rounding on near-ties.
    public var search: NeighbourSearch

    /// 8000 features and ratio 0.8 (Lowe, IJCV 2004, chose 0.8 as the threshold that
    /// removes 90% of false matches while losing under 5% of correct ones).
    public init(maxFeatures: Int = 8000, ratio: Double = 0.8, mutual: Bool = true, search: NeighbourSearch = .blas) {
        self.maxFeatures = maxFeatures
        self.ratio = ratio
        self.mutual = mutual
        self.search = search
    }

    /// Rejects settings OpenCV would misread (0 features means "all" there) or that
    /// make the ratio test meaningless.
    public func validate() throws {
        guard maxFeatures >= 1 else {
            throw SIFTError.invalidOption("--max-features must be at least 1 (got \(maxFeatures))")
        }
        guard ratio.isFinite, ratio > 0, ratio <= 1 else {
            throw SIFTError.invalidOption("--ratio must be in (0, 1] (got \(ratio))")
        }
    }

    /// The parameters recorded in the matches artifact's provenance.
    public var params: [String: any Sendable] {
        ["max_features": maxFeatures, "ratio": ratio, "mutual": mutual, "search": search.rawValue]
    }
}

/// Exhaustive nearest-neighbour search over SIFT descriptors (L2).
public enum NeighbourSearch: String, Codable, Sendable, CaseIterable {
    /// One blocked SGEMM pass giving both directions (`nearestNeighboursBothWays`).
    case blas
    /// OpenCV's brute-force matcher, once per direction: the classic recipe, kept as
    /// the reference the BLAS search is tested against.
    case opencv
}
