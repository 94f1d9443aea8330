import ArgumentParser
import Console
import Evaluation
import Foundation

extension Evaluate {
    /// `roma evaluate watch`: the one progress line of a `make eval` run (eval/eval.mk
    /// starts it next to make, which runs the stages).
    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: "Show a benchmark run's progress from its files until standard input closes.",
            discussion: """
            Pairs done/total with rate and ETA (a RoMa pair is done once matched, as matching \
            takes nearly all the time; other matchers' once every estimate exists), the estimates \
            written and their running AUC. Waits for the manifest to appear. Stops when \
            standard input reaches its end (eval/eval.mk pipes make into it) or every estimate exists.
            """)

        @Option(help: "The run's manifest (pairs.json); may not exist yet.")
        var manifest: String

        @Option(help: "Folder of r<k>/<pair>.pose.safetensors.")
        var poses: String

        @Option(help: "Folder of r<k>/<pair>.matches.safetensors.")
        var samples: String

        @Option(help: "Folder of <pair>.warp.safetensors when matching is the long part (RoMa).")
        var warps: String?

        @Option(help: "Only shard i/n's pairs (list positions k with k mod n = i - 1).")
        var shard: String?

        @Option(help: "Seconds between two looks at the files.")
        var interval: Double = 2

        func run() throws {
            let ended = EndOfInput()
            var shardIndex = 0, shardCount = 1
            if let shard {
                let parts = shard.split(separator: "/").compactMap { Int($0) }
                guard parts.count == 2, parts[0] >= 1, parts[0] <= parts[1] else { throw ValidationError("--shard \(shard) must be i/n with 1 <= i <= n") }
                (shardIndex, shardCount) = (parts[0] - 1, parts[1])
            }
            while !FileManager.default.fileExists(atPath: manifest) {
                if ended.wait(interval) { return }
            }
            let m = try BenchmarkManifest.read(manifest)
            let pairs = m.pairs.enumerated().filter { $0.offset % shardCount == shardIndex }.map(\.element)
            let progress = RunProgress(pairs: pairs, repetitions: m.evaluationProtocol.repetitions,
                                       layout: .init(poses: poses, samples: samples, warps: warps))
            // Pairs done by an earlier run are left out of the count, so rate and ETA are this run's.
            var last = progress.poll()
            var label = shard.map { "eval \(m.bench) shard \($0)" } ?? "eval \(m.bench)"
            if last.done > 0 { label += " (\(last.done) done before)" }
            let meter = ProgressMeter(label, total: last.total - last.done, unit: "pair", quiet: false)
            meter.setMetric(last.metric)
            var finished = last.estimates == last.estimatesTotal
            while !finished {
                finished = ended.wait(interval)
                let state = progress.poll()
                if state.done != last.done {
                    meter.advance(by: state.done - last.done, metric: state.metric)
                } else if state != last {
                    meter.setMetric(state.metric)
                }
                last = state
                if state.estimates == state.estimatesTotal { finished = true }
            }
            meter.finish()
        }
    }
}

/// Becomes true once standard input reaches its end (read on a thread of its own).
private final class EndOfInput: @unchecked Sendable {
    private let ended = DispatchSemaphore(value: 0)

    init() {
        Thread.detachNewThread { [ended] in
            _ = FileHandle.standardInput.readDataToEndOfFile()
            ended.signal()
        }
    }

    /// Waits up to `seconds`; true when input has ended (and stays true).
    func wait(_ seconds: Double) -> Bool {
        guard ended.wait(timeout: .now() + seconds) == .success else { return false }
        ended.signal()
        return true
    }
}
