import Artifacts
import Foundation

/// One run of a comparison: a configuration evaluated under one or more seeds.
public struct ComparedRun: Sendable {
    /// The configuration with its seeds spelled out (`roma/n5000-seed{0,1}/ransac-t0.5-seed{0,1}`)
    /// or, for one seed, the configuration itself.
    public var name: String
    public var files: [String]
    public var seeds: [BenchmarkResults]
    public var errors: [PairedErrors]
    public var parameters: RunParameters

    /// The first seed's results: the single-seed figures, the pictures, the scatter.
    public var first: BenchmarkResults { seeds[0] }

    /// Mean and sample standard deviation over seeds of each AUC (fractions).
    public var aucMean: [Double] { mean(\.auc) }
    public var aucStd: [Double] { std(\.auc) }
    public var accuracyMean: [Double] { mean(\.accuracy) }

    func mean(_ key: KeyPath<BenchmarkResults, [Double]>) -> [Double] {
        first[keyPath: key].indices.map { k in seeds.reduce(0) { $0 + $1[keyPath: key][k] } / Double(seeds.count) }
    }

    func std(_ key: KeyPath<BenchmarkResults, [Double]>) -> [Double] {
        let m = mean(key)
        guard seeds.count > 1 else { return m.map { _ in 0 } }
        return m.indices.map { k in (seeds.reduce(0) { $0 + pow($1[keyPath: key][k] - m[k], 2) } / Double(seeds.count - 1)).squareRoot() }
    }
}

/// Several runs of one benchmark on the same pairs, read from their results
/// artifacts. Results files whose configurations differ only in `-seed<N>` parts
/// form one run with several seeds; the same configuration given twice stays two runs.
public struct RunComparison: Sendable {
    public var bench: String
    public var pairIDs: [String]
    public var thresholds: [Double]
    public var runs: [ComparedRun]

    public static func load(_ files: [String]) throws -> RunComparison {
        guard let firstFile = files.first else { throw ArtifactError(file: "<command line>", "no results files to compare") }
        var loaded: [(String, Artifact, BenchmarkResults)] = []
        for file in files {
            let artifact = try Artifact.read(file, expecting: .results)
            loaded.append((file, artifact, try BenchmarkResults(artifact)))
        }
        let reference = loaded[0].2
        for (file, _, results) in loaded.dropFirst() {
            guard results.bench == reference.bench else {
                throw ArtifactError(file: file, "is a run of benchmark '\(results.bench)' but \(firstFile) is of '\(reference.bench)'; "
                    + "only runs of one benchmark can be compared")
            }
            guard results.pairIDs == reference.pairIDs else {
                let extra = Set(results.pairIDs).subtracting(reference.pairIDs).sorted().first
                let missing = Set(reference.pairIDs).subtracting(results.pairIDs).sorted().first
                let detail = extra.map { "pair '\($0)' is not in \(firstFile)" } ?? missing.map { "pair '\($0)' of \(firstFile) is missing" }
                    ?? "the same pairs in another order"
                throw ArtifactError(file: file, "holds \(results.pairCount) pairs, \(firstFile) \(reference.pairCount): another pair set (\(detail)); "
                    + "only runs over the same pairs can be compared")
            }
            guard results.thresholds == reference.thresholds else {
                throw ArtifactError(file: file, "AUC thresholds \(results.thresholds) differ from \(firstFile)'s \(reference.thresholds)")
            }
        }

        // Group seeds of one configuration, in the order runs first appear.
        var groups: [(key: String, members: [(String, Artifact, BenchmarkResults)])] = []
        for entry in loaded {
            let key = seedless(entry.2.config)
            if let g = groups.firstIndex(where: { $0.key == key && !$0.members.contains { $0.2.config == entry.2.config } }) {
                groups[g].members.append(entry)
            } else {
                groups.append((key, [entry]))
            }
        }
        let runs = groups.map { group in
            ComparedRun(name: seedSetName(group.members.map(\.2.config)), files: group.members.map(\.0), seeds: group.members.map(\.2),
                        errors: group.members.map { PairedErrors($0.2) },
                        parameters: RunParameters.read(results: group.members[0].0, artifact: group.members[0].1, firstPair: reference.pairIDs[0]))
        }
        return RunComparison(bench: reference.bench, pairIDs: reference.pairIDs, thresholds: reference.thresholds, runs: runs)
    }

    /// The configuration without its seeds: `a/n5000-seed3/ransac-t0.5-seed3` → `a/n5000/ransac-t0.5`.
    static func seedless(_ config: String) -> String {
        config.replacingOccurrences(of: #"-seed[0-9]+(?=/|$)"#, with: "", options: .regularExpression)
    }

    /// `a/n5000-seed{0,1}/ransac-t0.5-seed{0,1}` for seeds 0 and 1 of one configuration.
    static func seedSetName(_ configs: [String]) -> String {
        guard configs.count > 1 else { return configs[0] }
        let seeds = configs.map { config in
            config.range(of: #"(?<=-seed)[0-9]+(?=/|$)"#, options: .regularExpression).map { String(config[$0]) } ?? "?"
        }
        return configs[0].replacingOccurrences(of: #"-seed[0-9]+(?=/|$)"#, with: "-seed{\(seeds.joined(separator: ","))}",
                                               options: .regularExpression)
    }

    /// Median pose error per pair of each run's first seed.
    public func medians(_ run: Int) -> [Double] { runs[run].first.medianPoseErrorPerPair }
}
