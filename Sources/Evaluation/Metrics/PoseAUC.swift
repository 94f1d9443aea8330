/// Area under the cumulative pose-error curve, as `pose_auc` in romatch/utils/utils.py
/// (romatch 0.1.2, itself from SuperGlue): errors sorted ascending, recall i/n at the
/// i-th error, the curve starting at (0, 0), integrated with the trapezoid rule up to
/// each threshold (holding the last recall flat until the threshold) and divided by it.
public enum PoseAUC {
    /// The thresholds every published table uses, in degrees.
    public static let standardThresholds: [Double] = [5, 10, 20]

    /// AUC in [0, 1] for each threshold (threshold > 0). Empty errors give 0.
    /// NaN errors count as misses, as they sort last in numpy.
    public static func auc(_ errors: [Double], thresholds: [Double] = standardThresholds) -> [Double] {
        precondition(thresholds.allSatisfy { $0 > 0 }, "AUC thresholds must be positive")
        guard !errors.isEmpty else { return thresholds.map { _ in 0 } }
        let sorted = errors.map { $0.isNaN ? .infinity : $0 }.sorted()
        let n = Double(sorted.count)
        return thresholds.map { threshold in
            // Points (0, 0), (e_1, 1/n), …, (e_k, k/n) with e_k < threshold, then (threshold, k/n).
            var area = 0.0
            var previousError = 0.0
            var previousRecall = 0.0
            for (i, e) in sorted.enumerated() where e < threshold {
                let recall = Double(i + 1) / n
                area += (e - previousError) * (previousRecall + recall) / 2
                previousError = e
                previousRecall = recall
            }
            area += (threshold - previousError) * previousRecall
            return area / threshold
        }
    }

    /// Fraction of errors strictly below each threshold (the reference's `acc_…`).
    public static func accuracy(_ errors: [Double], thresholds: [Double] = standardThresholds) -> [Double] {
        guard !errors.isEmpty else { return thresholds.map { _ in 0 } }
        return thresholds.map { t in Double(errors.filter { $0 < t }.count) / Double(errors.count) }
    }
}
