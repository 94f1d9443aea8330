import Console
import Foundation
import Pipeline

/// `roma match --batch LIST`: parse the list, run the batch, print a line a pair and a summary.
extension Match {
    func runBatch(list: String) throws {
        let pairs = try MatchBatch.parse(list: list)
        let options = self.options
        let sink = ProgressSink.standardError
        let style = ProgressMeter.style(quiet: quiet, sink: sink)
        // On a terminal the progress line says it all; elsewhere (logs) a line a pair.
        let perPair = style != .redraw
        let summary = try MatchBatch.run(
            pairs, matcher: {
                options.model == .roma2 ? try RoMaV2MatchStage.Matcher(options: options) as any BatchMatcher : try MatchStage.Matcher(options: options)
            }, cacheBytes: cacheMb << 20, encoding: warpEncoding,
            progress: { total in ProgressMeter("match", total: total, unit: "pair", style: style, sink: sink) },
            done: { pair, seconds in
                guard perPair else { return }
                print(String(format: "matched %@ and %@ -> %@ (%.1f s)", pair.a, pair.b, pair.output, seconds))
            })
        print(String(format: "%d pairs matched, %d already done; %d encoder runs, %d reused (cache peak %.2f GB); weights %.1f s, model %.1f s",
                     summary.matched, summary.skipped, summary.encodes, summary.reuses, Double(summary.peakCacheBytes) / 1e9,
                     summary.bindSeconds, summary.modelSeconds))
    }
}
