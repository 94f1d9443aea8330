import Foundation
import Testing
@testable import Console

/// Collects what a `ProgressMeter` writes, and a clock the test moves by hand.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var chunks: [String] = []
    private var time = 100.0

    var text: String { lock.withLock { chunks.joined() } }
    var writes: Int { lock.withLock { chunks.count } }
    func advanceClock(_ seconds: Double) { lock.withLock { time += seconds } }

    func sink(terminal: Bool, columns: Int? = nil) -> ProgressSink {
        ProgressSink(isTerminal: terminal, columns: columns) { [self] s in lock.withLock { chunks.append(s) } }
    }

    var clock: @Sendable () -> Double { { [self] in lock.withLock { time } } }
}

@Suite struct ProgressTests {
    @Test func lineShowsCountRateEtaAndMetric() {
        let line = ProgressLine.render(label: "estimate", done: 120, total: 1500, unit: "pair",
                                       elapsed: 40, metric: "AUC@5 62.1")
        // 120 pairs in 40 s = 3 pairs/s; 1380 left at 3/s = 460 s = 7m40s.
        #expect(line == "estimate 120/1500 (8%) 3.00 pairs/s ETA 7m40s · AUC@5 62.1")
    }

    @Test func lineBeforeAnyItemHasNoRate() {
        let line = ProgressLine.render(label: "match", done: 0, total: 10, unit: "pair", elapsed: 0, metric: nil)
        #expect(line == "match 0/10 (0%) – pairs/s ETA ?")
    }

    @Test func finishedLineShowsElapsed() {
        let line = ProgressLine.render(label: "sample", done: 10, total: 10, unit: "pair", elapsed: 7265, metric: nil)
        #expect(line == "sample 10/10 (100%) 0.00 pairs/s in 2h01m")
    }

    @Test func durations() {
        #expect(ProgressLine.duration(0) == "0s")
        #expect(ProgressLine.duration(59.4) == "59s")
        #expect(ProgressLine.duration(61) == "1m01s")
        #expect(ProgressLine.duration(3600) == "1h00m")
        #expect(ProgressLine.duration(.infinity) == "?")
    }

    @Test func styleFollowsQuietTerminalAndEnvironment() {
        let r = Recorder()
        #expect(ProgressMeter.style(quiet: false, sink: r.sink(terminal: true), environment: [:]) == .redraw)
        #expect(ProgressMeter.style(quiet: true, sink: r.sink(terminal: true), environment: [:]) == .silent)
        #expect(ProgressMeter.style(quiet: false, sink: r.sink(terminal: false), environment: [:]) == .silent)
        #expect(ProgressMeter.style(quiet: false, sink: r.sink(terminal: false), environment: ["ROMA_PROGRESS": "lines"],
                               lineInterval: 5) == .lines(every: 5))
        #expect(ProgressMeter.style(quiet: true, sink: r.sink(terminal: false), environment: ["ROMA_PROGRESS": "lines"]) == .silent)
        #expect(ProgressMeter.style(quiet: false, sink: r.sink(terminal: true), environment: ["ROMA_PROGRESS": "off"]) == .silent)
    }

    @Test func terminalRedrawsInPlaceAndThrottles() {
        let r = Recorder()
        let p = ProgressMeter("match", total: 4, unit: "pair", style: .redraw, sink: r.sink(terminal: true),
                         clock: r.clock, redrawInterval: 1)
        r.advanceClock(2)
        p.advance()                       // shown: first line
        r.advanceClock(0.5)
        p.advance()                       // within 1 s of the last line: skipped
        r.advanceClock(0.6)
        p.advance(metric: "AUC@5 50.0")   // shown
        r.advanceClock(0.1)
        p.advance()                       // the last item is always shown
        p.finish()
        p.finish()                        // idempotent
        let text = r.text
        #expect(r.writes == 4, "three lines and the final newline, got: \(text.debugDescription)")
        #expect(text.hasPrefix("\r\u{1B}[2Kmatch 1/4 (25%) 0.50 pairs/s ETA 6s"))
        #expect(text.contains("\r\u{1B}[2Kmatch 3/4 (75%)"))
        #expect(text.contains("AUC@5 50.0"))
        #expect(text.contains("match 4/4 (100%)"))
        #expect(!text.contains("2/4"))
        #expect(text.hasSuffix("\n") && text.filter { $0 == "\n" }.count == 1)
    }

    @Test func fitCutsToTheTerminalWidth() {
        #expect(ProgressLine.fit("abcdef", columns: nil) == "abcdef")
        #expect(ProgressLine.fit("abcdef", columns: 7) == "abcdef")
        #expect(ProgressLine.fit("abcdef", columns: 6) == "abcd…")
        #expect(ProgressLine.fit("abcdef", columns: 1) == "abcdef", "no room to cut sensibly")
    }

    /// A long metric on a narrow terminal: the redrawn line never reaches the last column.
    @Test func redrawFitsNarrowTerminals() {
        let r = Recorder()
        let p = ProgressMeter("estimate", total: 10, unit: "pair", style: .redraw, sink: r.sink(terminal: true, columns: 30),
                         clock: r.clock)
        r.advanceClock(1)
        p.advance(metric: "AUC@5 62.1 AUC@10 76.7 AUC@20 86.3")
        let line = r.text.replacingOccurrences(of: "\r\u{1B}[2K", with: "")
        #expect(line.count == 29 && line.hasPrefix("estimate 1/10") && line.hasSuffix("…"), "\(line)")
    }

    @Test func silentWritesNothing() {
        let r = Recorder()
        let p = ProgressMeter("match", total: 3, style: .silent, sink: r.sink(terminal: false), clock: r.clock)
        for _ in 0..<3 { p.advance(metric: "x") }
        p.finish()
        #expect(r.writes == 0)
        #expect(p.done == 3)
    }

    @Test func plainLinesAreOccasionalAndHaveNoEscapes() {
        let r = Recorder()
        let p = ProgressMeter("estimate", total: 100, unit: "pair", style: .lines(every: 30), sink: r.sink(terminal: false),
                         clock: r.clock)
        for _ in 0..<99 {
            r.advanceClock(1)
            p.advance()
        }
        p.setMetric("AUC@5 61.0")
        p.finish()  // one more line: the metric changed since the last one
        let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
        // Lines at t = 1, 31, 61, 91 s, then the final one from finish().
        #expect(lines.count == 6 && lines.last == "")
        #expect(!r.text.contains("\r") && !r.text.contains("\u{1B}"))
        #expect(lines[4].hasPrefix("estimate 99/100") && lines[4].hasSuffix("· AUC@5 61.0"))
    }

    /// Concurrent workers: every item counted once, and the output never interleaves
    /// two lines (each write is a whole line).
    @Test func concurrentAdvancesAreCounted() {
        let r = Recorder()
        let p = ProgressMeter("pairs", total: 2000, style: .lines(every: 0), sink: r.sink(terminal: false), clock: r.clock)
        DispatchQueue.concurrentPerform(iterations: 2000) { _ in p.advance() }
        p.finish()
        #expect(p.done == 2000)
        let lines = r.text.split(separator: "\n")
        #expect(lines.count == 2000)
        #expect(lines.allSatisfy { $0.hasPrefix("pairs ") })
        #expect(lines.last?.hasPrefix("pairs 2000/2000") == true)
    }
}
