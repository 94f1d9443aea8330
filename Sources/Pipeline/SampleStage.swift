import Artifacts
import Sampling

/// `roma sample` as a function: dense warp → balanced sparse matches.
public enum SampleStage {
    /// `source` names the warp in error messages (a file, or the image pair in `roma pose`).
    public static func run(_ warp: Warp, source: String, options: SamplingOptions) throws -> Matches {
        do {
            return try sampleMatches(from: warp, options: options)
        } catch let error as SamplingError {
            throw ArtifactError(file: source, error.problem)
        }
    }

    /// RoMa v2's warp (`roma.warp/3`): romav2's `sample`, with each match's overlap and precisions.
    public static func run(_ warp: PrecisionWarp, source: String, options: RoMaV2SamplingOptions) throws -> Matches {
        do {
            return try sampleMatches(from: warp, options: options).matches
        } catch let error as SamplingError {
            throw ArtifactError(file: source, error.problem)
        }
    }
}
