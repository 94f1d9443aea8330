import Artifacts
import Foundation
import Parallel

/// How hard a synthetic pair is: the range each difficulty factor is drawn from.
/// A pair's actual values (drawn from these ranges by its seed, or measured on its
/// ground truth) are recorded as `DifficultyFactor`s.
///
/// Levels (`roma synth --difficulty`) are chosen to span what the real benchmarks
/// show: MegaDepth-1500's pairs come in overlap bins 0.1–0.3 / 0.3–0.5 / 0.5–0.7 with
/// up to ~60° of relative rotation and scale changes of several times; `classic` is
/// the original set (same lighting in both views, modest baselines), on which every
/// method scores ~100.
public struct Difficulty: Sendable, Equatable, Codable {
    /// A closed interval a value is drawn uniformly from ("a-b", or "a" for a fixed value).
    public struct Span: Sendable, Equatable, Codable, CustomStringConvertible {
        public var lower: Double
        public var upper: Double
        public init(_ lower: Double, _ upper: Double) { (self.lower, self.upper) = (lower, upper) }
        public static func fixed(_ value: Double) -> Span { Span(value, value) }
        public static let zero = Span(0, 0)
        public var isZero: Bool { lower == 0 && upper == 0 }
        public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
        func draw(_ rng: inout SplitMix64) -> Double { lower == upper ? lower : rng.uniform(lower, upper) }
    }

    /// "classic", "easy", "medium", "hard", or "custom" once a factor is overridden.
    public var name: String
    /// Azimuth between the two camera positions around the scene, degrees.
    public var rotation: Span
    /// Wanted overlap (covisible fraction, the smaller of the two views'); cameras are
    /// redrawn until a coarse estimate falls inside. nil: no target (classic).
    public var overlap: Span?
    /// Scale change between the views (≥ 1, one camera zoomed in by this factor).
    public var scale: Span
    /// Extra in-plane rotation of camera B, degrees (either sign).
    public var inPlane: Span
    /// Exposure change between the views, stops (either sign).
    public var exposure: Span
    /// Per-channel white-balance gain deviation of each view (0.1 = ±10 %).
    public var whiteBalance: Span
    /// Angle the light direction turns between the views, degrees.
    public var light: Span
    /// Cast shadows (objects and occluders shadow the room and each other).
    public var shadows: Bool
    /// Probability that a surface wears a repeated pattern / a nearly uniform colour.
    public var repeated: Double
    public var lowTexture: Double
    /// Sensor noise σ in 8-bit levels, Gaussian blur σ in pixels, per view.
    public var noise: Span
    public var blur: Span
    /// JPEG quality per view; nil writes lossless PNG.
    public var jpeg: Span?
    /// Objects each present in one view only (a passer-by, a pole), per pair.
    public var occluders: Span

    public static let classic = Difficulty(
        name: "classic", rotation: Span(8, 30), overlap: nil, scale: .fixed(1), inPlane: .zero, exposure: .zero,
        whiteBalance: .zero, light: .zero, shadows: false, repeated: 0, lowTexture: 0, noise: .zero, blur: .zero,
        jpeg: nil, occluders: .zero)

    public static let easy = Difficulty(
        name: "easy", rotation: Span(8, 25), overlap: Span(0.5, 0.7), scale: Span(1, 1.4), inPlane: Span(0, 8),
        exposure: Span(0, 0.5), whiteBalance: Span(0, 0.05), light: Span(0, 20), shadows: true, repeated: 0.05,
        lowTexture: 0.05, noise: Span(1, 2), blur: Span(0, 0.5), jpeg: Span(85, 95), occluders: Span(0, 1))

    public static let medium = Difficulty(
        name: "medium", rotation: Span(20, 40), overlap: Span(0.3, 0.5), scale: Span(1.3, 2.2), inPlane: Span(5, 25),
        exposure: Span(0.3, 1), whiteBalance: Span(0.05, 0.12), light: Span(20, 60), shadows: true, repeated: 0.15,
        lowTexture: 0.15, noise: Span(2, 4), blur: Span(0.3, 1), jpeg: Span(60, 85), occluders: Span(1, 2))

    // Every factor at its hardest at once leaves SIFT ~0 (6–15 matches a pair); these
    // ranges put it near its MegaDepth-1500 figures while the oracle stays at 100.
    public static let hard = Difficulty(
        name: "hard", rotation: Span(30, 50), overlap: Span(0.1, 0.3), scale: Span(1.5, 3), inPlane: Span(10, 30),
        exposure: Span(0.5, 1.2), whiteBalance: Span(0.05, 0.15), light: Span(30, 90), shadows: true, repeated: 0.2,
        lowTexture: 0.2, noise: Span(2, 4), blur: Span(0.3, 1), jpeg: Span(60, 80), occluders: Span(1, 2))

    public static let levels: [Difficulty] = [.easy, .medium, .hard]

    public static func level(named name: String) throws -> Difficulty {
        if name == "classic" { return .classic }
        guard let level = levels.first(where: { $0.name == name }) else {
            throw DatasetError("unknown difficulty '\(name)'; expected classic, \(levels.map(\.name).joined(separator: ", "))")
        }
        return level
    }

    /// The factors a user may set one by one (`roma synth --rotation 40-60 …`).
    public static let factorNames = ["rotation", "overlap", "scale", "in-plane", "exposure", "white-balance", "light", "shadows",
                                     "repeated", "low-texture", "noise", "blur", "jpeg", "occluders"]

    /// This difficulty with some factors replaced; values as "a-b", "a", or for
    /// overlap/jpeg "none", for shadows "on"/"off". Named "custom" when anything changed.
    public func overriding(_ values: [String: String]) throws -> Difficulty {
        var d = self
        for (key, text) in values.sorted(by: { $0.key < $1.key }) {
            func span(_ range: ClosedRange<Double>) throws -> Span {
                let parts = text.split(separator: "-", omittingEmptySubsequences: false).compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                let problem = DatasetError("--\(key) '\(text)': expected a value or a range a-b (a ≤ b) within \(range.lowerBound)…\(range.upperBound)")
                guard (1...2).contains(parts.count), text.split(separator: "-", omittingEmptySubsequences: false).count == parts.count else { throw problem }
                let s = Span(parts[0], parts[parts.count - 1])
                guard s.lower <= s.upper, range.contains(s.lower), range.contains(s.upper) else { throw problem }
                return s
            }
            func probability() throws -> Double { try span(0...1).lower }
            switch key {
            case "rotation": d.rotation = try span(0...120)
            case "overlap": d.overlap = text == "none" ? nil : try span(0...1)
            case "scale": d.scale = try span(1...8)
            case "in-plane": d.inPlane = try span(0...180)
            case "exposure": d.exposure = try span(0...4)
            case "white-balance": d.whiteBalance = try span(0...0.5)
            case "light": d.light = try span(0...180)
            case "shadows":
                guard ["on", "off"].contains(text) else { throw DatasetError("--shadows '\(text)': expected on or off") }
                d.shadows = text == "on"
            case "repeated": d.repeated = try probability()
            case "low-texture": d.lowTexture = try probability()
            case "noise": d.noise = try span(0...64)
            case "blur": d.blur = try span(0...10)
            case "jpeg": d.jpeg = text == "none" ? nil : try span(1...100)
            case "occluders": d.occluders = try span(0...8)
            default: throw DatasetError("unknown difficulty factor '\(key)'; expected one of \(Self.factorNames.joined(separator: ", "))")
            }
        }
        guard d.repeated + d.lowTexture <= 1 else {
            throw DatasetError("--repeated and --low-texture are probabilities of one surface: their sum must not exceed 1")
        }
        if d != self { d.name = "custom" }
        return d
    }

    /// Cameras without an overlap target, scale or in-plane rotation are drawn exactly
    /// as the classic set draws them (so its renders stay reproducible).
    var classicViewpoint: Bool { overlap == nil && scale == .fixed(1) && inPlane.isZero }

    /// Ambient share of the light: the classic set's 0.35; with shadows a darker 0.3.
    var ambient: Double { shadows ? 0.3 : 0.35 }

    /// One line per factor, for `pairs.txt`'s header and the docs.
    public var summary: String {
        "\(name): rotation \(rotation)°, overlap \(overlap.map(\.description) ?? "any"), scale \(scale)×, in-plane \(inPlane)°, "
            + "exposure \(exposure) stops, white balance ±\(whiteBalance), light turn \(light)°, shadows \(shadows ? "on" : "off"), "
            + "repeated \(repeated), low texture \(lowTexture), noise σ \(noise), blur σ \(blur) px, "
            + "JPEG \(jpeg.map(\.description) ?? "none (PNG)"), occluders \(occluders)"
    }
}

/// One measured or drawn difficulty value of a pair, with the bin the report groups it in.
public struct DifficultyFactor: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var bin: String

    public init(name: String, value: Double, bin: String) {
        self.name = name
        self.value = value
        self.bin = bin
    }

    /// `value` with its bin among `edges` (ascending): "<e0", "e0–e1", …, "≥eN".
    public init(_ name: String, _ value: Double, edges: [Double]) {
        func f(_ x: Double) -> String { String(format: "%g", x) }
        var bin = "≥" + f(edges.last!)
        if value < edges[0] {
            bin = "<" + f(edges[0])
        } else if let k = edges.indices.dropLast().first(where: { value >= edges[$0] && value < edges[$0 + 1] }) {
            bin = f(edges[k]) + "–" + f(edges[k + 1])
        }
        self.init(name: name, value: value, bin: bin)
    }
}

/// `difficulty.json`, written by `roma synth` beside `pairs.txt`: the level and every
/// pair's factors, which `roma evaluate prepare` copies into the manifest so the
/// report can give the AUC per factor and bin.
public struct DifficultyFile: Sendable, Codable, Equatable {
    public var difficulty: Difficulty
    public var pairs: [String: [DifficultyFactor]]

    public static let fileName = "difficulty.json"

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func read(_ path: String) throws -> DifficultyFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError("\(path): no such file") }
        do {
            return try JSONDecoder().decode(DifficultyFile.self, from: data)
        } catch {
            throw DatasetError("\(path): not a difficulty file written by `roma synth` (\(error))")
        }
    }
}
