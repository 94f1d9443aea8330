/// How a stage's artifact was made: the stage's name, its parameters and the seed of
/// its random choices. Every stage derives it from its options (`StageOptions`), and
/// `Artifact.stamp(_:inputs:)` is the one place that writes it with the tool version
/// and the inputs' SHA-256, so a staged run and `roma pose --keep` record the same.
public struct StageRecord: Sendable {
    public var stage: String
    /// JSON-representable values (numbers, strings, booleans, arrays of them); the
    /// keys per stage are part of the artifact schemas (docs/artifacts.md).
    public var params: [String: any Sendable]
    /// Nil when the stage draws nothing at random.
    public var seed: UInt64?

    public init(stage: String, params: [String: any Sendable], seed: UInt64? = nil) {
        self.stage = stage
        self.params = params
        self.seed = seed
    }
}

/// Options of one pipeline stage: a value a caller can save and reload (`Codable`)
/// and the only source of the provenance that stage records.
public protocol StageOptions: Codable, Sendable {
    /// The stage's name as recorded in `metadata["stage"]`.
    static var stage: String { get }
    /// Parameters recorded in `metadata["params"]`.
    var params: [String: any Sendable] { get }
    /// Seed recorded in `metadata["seed"]`; nil for deterministic stages.
    var recordedSeed: UInt64? { get }
}

extension StageOptions {
    public var recordedSeed: UInt64? { nil }
    public var record: StageRecord { StageRecord(stage: Self.stage, params: params, seed: recordedSeed) }
}

extension Artifact {
    /// Records how the artifact was made, hashing every input file.
    public mutating func stamp(_ record: StageRecord, inputs: [String]) throws {
        try stamp(stage: record.stage, params: record.params, seed: record.seed, inputs: inputs)
    }

    /// Stamps a copy and writes it atomically: what every stage's CLI command and
    /// `roma pose --keep` do with a stage's result.
    public func write(to path: String, record: StageRecord, inputs: [String]) throws {
        var stamped = self
        try stamped.stamp(record, inputs: inputs)
        try stamped.write(to: path)
    }
}
