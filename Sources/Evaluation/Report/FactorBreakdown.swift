/// The AUC of a run split by difficulty factor and bin (synthetic sets from
/// `roma synth --difficulty`, whose manifest carries every pair's factors): which
/// kind of hardness costs a method its accuracy.
struct FactorBreakdown {
    struct Row {
        var factor: String
        var bin: String
        var pairs: Int
        var auc: [Double]
    }

    var rows: [Row]

    /// nil when no pair has factors. Bins are ordered by the smallest value they hold;
    /// factors in the order the first pair lists them.
    init?(results: BenchmarkResults, manifest: BenchmarkManifest) {
        let byID = Dictionary(manifest.pairs.map { ($0.id, $0.factors ?? []) }, uniquingKeysWith: { a, _ in a })
        var order: [String] = []
        var groups: [String: [String: (lowest: Double, pairs: [Int])]] = [:]
        for (p, id) in results.pairIDs.enumerated() {
            for f in byID[id] ?? [] {
                if groups[f.name] == nil { order.append(f.name); groups[f.name] = [:] }
                var entry = groups[f.name]![f.bin] ?? (f.value, [])
                entry.lowest = min(entry.lowest, f.value)
                entry.pairs.append(p)
                groups[f.name]![f.bin] = entry
            }
        }
        guard !order.isEmpty else { return nil }
        rows = order.flatMap { name in
            groups[name]!.sorted { $0.value.lowest < $1.value.lowest }.map { bin, entry in
                let errors = entry.pairs.flatMap { p in (0..<results.repetitions).map { results.poseError(pair: p, repetition: $0) } }
                return Row(factor: name, bin: bin, pairs: entry.pairs.count, auc: PoseAUC.auc(errors, thresholds: results.thresholds))
            }
        }
    }
}
