import Artifacts
import Foundation

/// How far a `make eval` run is, read from its files: the one progress line of a whole
/// benchmark run (`roma evaluate watch`), however many processes make starts.
///
/// A pair counts as done once its slowest stage is: its warp (RoMa: the batch matcher
/// takes nearly all the time) or, for other matchers, all its estimates. The running
/// AUC covers the estimates written so far; each pose file is read once.
public final class RunProgress {
    public struct Layout: Sendable {
        /// `<poses>/r<k>/<pair>.pose.safetensors`.
        public var poses: String
        /// `<samples>/r<k>/<pair>.matches.safetensors`: a pair whose first sample exists was matched
        /// (its warp may be gone with WARPS=drop).
        public var samples: String
        /// `<warps>/<pair>.warp.safetensors` for RoMa; nil when matching is not the long part.
        public var warps: String?

        public init(poses: String, samples: String, warps: String?) {
            (self.poses, self.samples, self.warps) = (poses, samples, warps)
        }
    }

    public let pairs: [PreparedPair]
    public let repetitions: Int
    public let layout: Layout
    private var matched = Set<String>()
    private var errors: [String: Double] = [:]

    public init(pairs: [PreparedPair], repetitions: Int, layout: Layout) {
        self.pairs = pairs
        self.repetitions = repetitions
        self.layout = layout
    }

    public struct State: Sendable, Equatable {
        public var done: Int, total: Int
        public var estimates: Int, estimatesTotal: Int
        /// AUC@5/10/20 of the estimates so far (nil before the first).
        public var auc: [Double]?

        /// e.g. `estimates 120/7500 · AUC@5/10/20 61.2/73.0/82.3`.
        public var metric: String {
            var text = "estimates \(estimates)/\(estimatesTotal)"
            if let auc { text += String(format: " · AUC@5/10/20 %.1f/%.1f/%.1f", 100 * auc[0], 100 * auc[1], 100 * auc[2]) }
            return text
        }
    }

    /// Looks at the files again (only those not seen yet).
    public func poll() -> State {
        let fm = FileManager.default
        var done = 0
        for pair in pairs {
            var complete = true
            for r in 0..<repetitions {
                let key = "\(r)/\(pair.id)"
                if errors[key] != nil { continue }
                let path = Evaluator.posePath(folder: layout.poses, pair: pair.id, repetition: r)
                // A pose file is written by rename, so one that exists is whole.
                if let pose = try? PoseResult.read(path) {
                    errors[key] = PoseMetrics.error(of: pose, truthRotation: pair.rotation, truthTranslation: pair.translation).pose
                } else {
                    complete = false
                }
            }
            if layout.warps != nil {
                if !matched.contains(pair.id),
                   fm.fileExists(atPath: "\(layout.warps!)/\(pair.id).warp.safetensors")
                    || fm.fileExists(atPath: "\(layout.samples)/r0/\(pair.id).matches.safetensors") || complete {
                    matched.insert(pair.id)
                }
                if matched.contains(pair.id) { done += 1 }
            } else if complete {
                done += 1
            }
        }
        let values = Array(errors.values)
        return State(done: done, total: pairs.count, estimates: values.count, estimatesTotal: pairs.count * repetitions,
                     auc: values.isEmpty ? nil : PoseAUC.auc(values))
    }
}
