import Foundation

/// Where progress text goes, and whether it is a terminal (which decides between
/// redrawing one line in place and staying quiet). Injectable so tests can capture
/// the text.
public struct ProgressSink: Sendable {
    public let isTerminal: Bool
    /// The terminal's width, when known: a redrawn line longer than this would wrap,
    /// and "\r" would then only go back to the start of the last screen line.
    public let columns: Int?
    public let write: @Sendable (String) -> Void

    public init(isTerminal: Bool, columns: Int? = nil, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.columns = columns
        self.write = write
    }

    /// Standard error; a terminal when `isatty(2)`.
    public static var standardError: ProgressSink {
        let terminal = isatty(STDERR_FILENO) == 1
        var size = winsize()
        let columns = terminal && ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : nil
        return ProgressSink(isTerminal: terminal, columns: columns) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}

/// Items done out of a total, with rate, ETA and an optional running metric (e.g. the
/// running AUC of a benchmark), for long commands. Thread-safe: workers may call
/// `advance` concurrently.
///
/// Output, on standard error by default:
/// - a terminal: one line redrawn in place (at most every `redrawInterval` seconds,
///   and always for the last item), ended by a newline on `finish()`;
/// - not a terminal (a pipe, a log file, a Slurm job): nothing, unless the
///   environment sets `ROMA_PROGRESS=lines`, then one plain line at most every
///   `lineInterval` seconds and a last one on `finish()`;
/// - `quiet` (the commands' `--quiet`) or `ROMA_PROGRESS=off`: nothing at all.
public final class ProgressMeter: @unchecked Sendable {
    public enum Style: Sendable, Equatable {
        case silent
        /// Redraw one line in place (needs a terminal).
        case redraw
        /// Plain newline-terminated lines, at most one per `every` seconds.
        case lines(every: Double)
    }

    /// The style a command should use, from `--quiet`, the sink and `ROMA_PROGRESS`.
    public static func style(quiet: Bool, sink: ProgressSink,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             lineInterval: Double = 30) -> Style {
        if quiet { return .silent }
        switch environment["ROMA_PROGRESS"]?.lowercased() {
        case "off", "quiet", "0": return .silent
        case "lines": return .lines(every: lineInterval)
        default: return sink.isTerminal ? .redraw : .silent
        }
    }

    /// Seconds on a monotonic clock.
    public static let monotonicSeconds: @Sendable () -> Double = {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    public let label: String
    public let total: Int
    public let unit: String
    public let style: Style
    /// Minimum time between two redraws, so a fast loop does not spend its time printing.
    public let redrawInterval: Double

    private let sink: ProgressSink
    private let clock: @Sendable () -> Double
    private let lock = NSLock()
    private let start: Double
    private var doneCount = 0
    private var metricText: String?
    private var lastShown: Double?
    /// Something changed since the last line was shown.
    private var unshown = true
    private var finished = false

    /// - Parameters:
    ///   - label: what is being done, e.g. "estimate".
    ///   - total: how many items there are (≥ 0).
    ///   - unit: the item's name for the rate, e.g. "pair" → "pairs/s".
    public init(_ label: String, total: Int, unit: String = "item", style: Style,
                sink: ProgressSink = .standardError,
                clock: @escaping @Sendable () -> Double = ProgressMeter.monotonicSeconds,
                redrawInterval: Double = 0.1) {
        precondition(total >= 0, "progress total must not be negative")
        self.label = label
        self.total = total
        self.unit = unit
        self.style = style
        self.sink = sink
        self.clock = clock
        self.redrawInterval = redrawInterval
        self.start = clock()
    }

    /// The usual construction in a command: standard error, style from `--quiet`,
    /// the terminal check and `ROMA_PROGRESS`.
    public convenience init(_ label: String, total: Int, unit: String = "item", quiet: Bool) {
        let sink = ProgressSink.standardError
        self.init(label, total: total, unit: unit, style: ProgressMeter.style(quiet: quiet, sink: sink), sink: sink)
    }

    /// Items done so far.
    public var done: Int {
        lock.lock(); defer { lock.unlock() }
        return doneCount
    }

    /// Records `count` more items done and, when given, replaces the running metric text.
    public func advance(by count: Int = 1, metric: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        doneCount += count
        if let metric { metricText = metric }
        unshown = true
        show(force: doneCount >= total)
    }

    /// Replaces the running metric text (nil removes it), e.g. "AUC@5 62.1".
    public func setMetric(_ text: String?) {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        metricText = text
        unshown = true
        show(force: false)
    }

    /// Shows the final state and ends the line. Later calls do nothing.
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        switch style {
        case .silent: return
        case .redraw:
            if unshown { draw() }
            sink.write("\n")
        case .lines:
            if unshown { draw() }
        }
    }

    // Called with the lock held.
    private func show(force: Bool) {
        let now = clock()
        let interval: Double
        switch style {
        case .silent: return
        case .redraw: interval = redrawInterval
        case .lines(let every): interval = every
        }
        if !force, let lastShown, now - lastShown < interval { return }
        draw(now: now)
    }

    private func draw(now: Double? = nil) {
        let now = now ?? clock()
        let text = ProgressLine.render(label: label, done: doneCount, total: total, unit: unit,
                                       elapsed: now - start, metric: metricText)
        lastShown = now
        unshown = false
        switch style {
        case .silent: break
        // Carriage return then "erase line": the new text replaces the old in place.
        case .redraw: sink.write("\r\u{1B}[2K" + ProgressLine.fit(text, columns: sink.columns))
        case .lines: sink.write(text + "\n")
        }
    }
}

/// The text of one progress line, as a pure function.
public enum ProgressLine {
    /// e.g. `estimate 120/1500 (8%) 3.2 pairs/s ETA 7m11s · AUC@5 62.1`.
    public static func render(label: String, done: Int, total: Int, unit: String,
                              elapsed: Double, metric: String?) -> String {
        var parts = [label, "\(done)/\(total)"]
        if total > 0 { parts.append("(\(min(100, done * 100 / total))%)") }
        let rate = elapsed > 0 && done > 0 ? Double(done) / elapsed : nil
        if let rate {
            parts.append(formatRate(rate) + " \(unit)s/s")
        } else {
            parts.append("– \(unit)s/s")
        }
        if done < total {
            parts.append("ETA " + (rate.map { duration(Double(total - done) / $0) } ?? "?"))
        } else {
            parts.append("in " + duration(elapsed))
        }
        var line = parts.joined(separator: " ")
        if let metric, !metric.isEmpty { line += " · " + metric }
        return line
    }

    /// `text` cut to fit in `columns - 1` characters (the last column is left free so
    /// the cursor never wraps), ending in "…" when cut.
    public static func fit(_ text: String, columns: Int?) -> String {
        guard let columns, columns >= 2, text.count > columns - 1 else { return text }
        return String(text.prefix(columns - 2)) + "…"
    }

    /// Two significant figures at least, without a long tail of decimals.
    static func formatRate(_ rate: Double) -> String {
        if rate >= 100 { return String(format: "%.0f", rate) }
        if rate >= 10 { return String(format: "%.1f", rate) }
        return String(format: "%.2f", rate)
    }

    /// `42s`, `7m11s`, `2h03m`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
