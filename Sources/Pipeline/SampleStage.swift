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
}
