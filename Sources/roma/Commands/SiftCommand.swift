import ArgumentParser
import Artifacts
import Baselines
import Foundation

struct Sift: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sift",
        abstract: "Match two images with the classic OpenCV SIFT baseline (no neural weights needed).",
        discussion: """
        Detects SIFT keypoints on the grayscale images as stored (EXIF orientation is not \
        applied), keeps matches that pass Lowe's ratio test and, unless --no-mutual, the \
        mutual nearest-neighbour check, and writes a roma.matches/1 artifact in pixels of \
        the original images (top-left pixel centre at (0.5, 0.5)) with certainty = 1 − ratio. \
        The result feeds `roma estimate` like the output of `roma sample`. See docs/baselines.md.
        """
    )

    @Argument(help: "First image (any format OpenCV reads, e.g. JPEG or PNG).")
    var imageA: String

    @Argument(help: "Second image.")
    var imageB: String

    @Option(name: .shortAndLong, help: "Output matches artifact (.safetensors, schema roma.matches/1).")
    var output: String

    @Option(help: "Keypoints kept per image, strongest first.")
    var maxFeatures: Int = SIFTOptions().maxFeatures

    @Option(help: "Lowe ratio: keep a match when nearest distance < ratio × second-nearest distance; in (0, 1].")
    var ratio: Double = SIFTOptions().ratio

    @Flag(inversion: .prefixedNo, help: "Keep only mutual nearest neighbours (--no-mutual keeps every match passing the ratio test).")
    var mutual: Bool = SIFTOptions().mutual

    @Option(help: "Nearest-neighbour search: blas (one blocked SGEMM pass for both directions) or opencv (OpenCV's brute-force matcher, the classic recipe). Both are exhaustive.")
    var search: NeighbourSearch = SIFTOptions().search

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func validate() throws {
        do {
            try options.validate()
        } catch let error as SIFTError {
            throw ValidationError(error.description)
        }
    }

    var options: SIFTOptions { SIFTOptions(maxFeatures: maxFeatures, ratio: ratio, mutual: mutual, search: search) }

    func run() throws {
        let result = try siftMatchResult(imageA: imageA, imageB: imageB, options: options)
        try result.artifact.write(to: output, record: options.record, inputs: [imageA, imageB])
        if !quiet {
            print("sift: \(result.matches.count) matches from \(result.keypointsA) × \(result.keypointsB) keypoints → \(output)")
        }
        if result.matches.count == 0 {
            // Still written: a benchmark counts the pair as failed in `roma estimate`.
            FileHandle.standardError.write(Data("sift: warning: no matches between \(imageA) and \(imageB)\n".utf8))
        }
    }
}

extension NeighbourSearch: ExpressibleByArgument {}
