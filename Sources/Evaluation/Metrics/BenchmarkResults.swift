import Artifacts
import Foundation

/// `roma.results/1`: per-pair, per-repetition pose errors of one benchmark run, the
/// AUC and accuracy table computed from them, and the run's configuration.
public struct BenchmarkResults: Sendable {
    public var bench: String
    /// The run's configuration name (e.g. `roma/n5000-seed0/ransac-t0.5`).
    public var config: String
    public var pairIDs: [String]
    public var repetitions: Int
    /// `pairs × repetitions`, row-major, in degrees.
    public var rotationErrors: [Double]
    public var translationErrors: [Double]
    public var failed: [UInt8]
    public var inlierCounts: [Int64]
    public var matchCounts: [Int64]
    public var countLastRepetitionTwice: Bool
    public var thresholds: [Double]
    public var auc: [Double]
    public var accuracy: [Double]
    /// Dense-warp quality against a ground-truth warp (synthetic set), per pair.
    public var warpQuality: [WarpQuality]?
    public var protocolJSON: String

    public var pairCount: Int { pairIDs.count }

    public func poseError(pair: Int, repetition: Int) -> Double {
        let i = pair * repetitions + repetition
        return max(rotationErrors[i], translationErrors[i])
    }

    /// Every error the AUC is computed over, in the reference's order (pairs, then
    /// repetitions; ScanNet's duplicated last repetition included).
    public var poseErrorsForAUC: [Double] {
        var errors: [Double] = []
        for p in 0..<pairCount {
            for r in 0..<repetitions { errors.append(poseError(pair: p, repetition: r)) }
            if countLastRepetitionTwice, repetitions > 0 { errors.append(poseError(pair: p, repetition: repetitions - 1)) }
        }
        return errors
    }

    /// The median pose error of each pair over its repetitions, for per-pair tables.
    public var medianPoseErrorPerPair: [Double] {
        (0..<pairCount).map { p in
            let e = (0..<repetitions).map { poseError(pair: p, repetition: $0) }.sorted()
            return e.count % 2 == 1 ? e[e.count / 2] : (e[e.count / 2 - 1] + e[e.count / 2]) / 2
        }
    }

    // MARK: Artifact

    public var artifact: Artifact {
        var a = Artifact(schema: .results)
        let shape = [pairCount, repetitions]
        a.put("errors_R", rotationErrors, shape: shape)
        a.put("errors_t", translationErrors, shape: shape)
        a.put("failed", failed, shape: shape)
        a.put("inliers", inlierCounts, shape: shape)
        a.put("matches", matchCounts, shape: shape)
        a.put("thresholds", thresholds, shape: [thresholds.count])
        a.put("auc", auc, shape: [auc.count])
        a.put("accuracy", accuracy, shape: [accuracy.count])
        if let warpQuality {
            a.put("warp_epe", warpQuality.map(\.endPointError), shape: [pairCount])
            a.put("warp_pck", warpQuality.flatMap(\.pck), shape: [pairCount, WarpQuality.pckThresholds.count])
            a.put("warp_pck_thresholds", WarpQuality.pckThresholds, shape: [WarpQuality.pckThresholds.count])
            a.put("warp_valid", warpQuality.map { Int64($0.validCells) }, shape: [pairCount])
        }
        a.metadata["bench"] = bench
        a.metadata["config"] = config
        a.metadata["pair_ids"] = String(decoding: (try? JSONEncoder().encode(pairIDs)) ?? Data("[]".utf8), as: UTF8.self)
        a.metadata["repetitions"] = String(repetitions)
        a.metadata["count_last_repetition_twice"] = countLastRepetitionTwice ? "true" : "false"
        a.metadata["protocol"] = protocolJSON
        return a
    }

    public init(bench: String, config: String, pairIDs: [String], repetitions: Int, rotationErrors: [Double], translationErrors: [Double],
                failed: [UInt8], inlierCounts: [Int64], matchCounts: [Int64], countLastRepetitionTwice: Bool,
                thresholds: [Double] = PoseAUC.standardThresholds, warpQuality: [WarpQuality]? = nil, protocolJSON: String = "{}") {
        let n = pairIDs.count * repetitions
        precondition(rotationErrors.count == n && translationErrors.count == n && failed.count == n
                     && inlierCounts.count == n && matchCounts.count == n, "results arrays must hold pairs × repetitions values")
        precondition(warpQuality == nil || warpQuality!.count == pairIDs.count)
        self.bench = bench
        self.config = config
        self.pairIDs = pairIDs
        self.repetitions = repetitions
        self.rotationErrors = rotationErrors
        self.translationErrors = translationErrors
        self.failed = failed
        self.inlierCounts = inlierCounts
        self.matchCounts = matchCounts
        self.countLastRepetitionTwice = countLastRepetitionTwice
        self.thresholds = thresholds
        self.warpQuality = warpQuality
        self.protocolJSON = protocolJSON
        self.auc = []
        self.accuracy = []
        let errors = poseErrorsForAUC
        self.auc = PoseAUC.auc(errors, thresholds: thresholds)
        self.accuracy = PoseAUC.accuracy(errors, thresholds: thresholds)
    }

    /// Reads a results artifact and checks that its table agrees with its errors.
    public init(_ artifact: Artifact) throws {
        try artifact.require(.results)
        let file = artifact.source
        guard let idsData = try artifact.meta("pair_ids").data(using: .utf8),
              let ids = try? JSONDecoder().decode([String].self, from: idsData) else {
            throw ArtifactError(file: file, "metadata 'pair_ids' is not a JSON array of strings")
        }
        let reps = try artifact.metaInt("repetitions")
        guard reps > 0 else { throw ArtifactError(file: file, "repetitions must be positive") }
        let shape: [Int?] = [ids.count, reps]
        let thresholds = try artifact.doubles("thresholds", shape: [nil])
        guard thresholds.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw ArtifactError(file: file, "thresholds must be positive") }
        var quality: [WarpQuality]?
        if artifact.has("warp_epe") {
            let epe = try artifact.doubles("warp_epe", shape: [ids.count])
            let pck = try artifact.doubles("warp_pck", shape: [ids.count, WarpQuality.pckThresholds.count])
            let valid = try artifact.integers("warp_valid", shape: [ids.count])
            let k = WarpQuality.pckThresholds.count
            quality = (0..<ids.count).map { WarpQuality(endPointError: epe[$0], pck: Array(pck[($0 * k)..<($0 * k + k)]), validCells: Int(valid[$0])) }
        }
        self.init(bench: try artifact.meta("bench"), config: try artifact.meta("config"), pairIDs: ids, repetitions: reps,
                  rotationErrors: try artifact.doubles("errors_R", shape: shape),
                  translationErrors: try artifact.doubles("errors_t", shape: shape),
                  failed: try artifact.bytes("failed", shape: shape),
                  inlierCounts: try artifact.integers("inliers", shape: shape),
                  matchCounts: try artifact.integers("matches", shape: shape),
                  countLastRepetitionTwice: artifact.metadata["count_last_repetition_twice"] == "true",
                  thresholds: thresholds, warpQuality: quality, protocolJSON: artifact.metadata["protocol"] ?? "{}")
        if rotationErrors.contains(where: { $0.isNaN }) || translationErrors.contains(where: { $0.isNaN }) {
            throw ArtifactError(file: file, "pose errors hold NaN")
        }
        // The stored table must be the one its errors give: a hand-edited file is caught here.
        let stored = try artifact.doubles("auc", shape: [thresholds.count])
        if zip(stored, auc).contains(where: { abs($0 - $1) > 1e-9 }) {
            throw ArtifactError(file: file, "stored AUC \(stored) disagrees with its errors (\(auc))")
        }
    }

    public static func read(_ path: String) throws -> BenchmarkResults {
        try BenchmarkResults(Artifact.read(path, expecting: .results))
    }
}
