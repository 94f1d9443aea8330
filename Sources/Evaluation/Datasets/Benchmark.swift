import Foundation

/// The benchmarks `make eval BENCH=…` knows, and where their data lives.
public enum Benchmark: Sendable, Equatable, CustomStringConvertible {
    /// Rendered by `roma synth` into a folder holding `pairs.txt`.
    case synthetic(folder: String)
    case megadepth1500
    case scannet1500
    /// A user's own pair list (see `PairList`).
    case pairs(file: String)

    /// Parses `synthetic`, `megadepth1500`, `scannet1500` or `pairs:FILE`.
    /// `synthetic` needs the folder `roma synth` wrote, given separately.
    public init(parsing text: String, syntheticFolder: String? = nil) throws {
        switch text {
        case "synthetic":
            guard let syntheticFolder else { throw DatasetError("BENCH=synthetic needs the folder `roma synth` wrote (--data DIR)") }
            self = .synthetic(folder: syntheticFolder)
        case "megadepth1500": self = .megadepth1500
        case "scannet1500": self = .scannet1500
        default:
            guard text.hasPrefix("pairs:"), text.count > 6 else {
                throw DatasetError("unknown benchmark '\(text)'; expected synthetic, megadepth1500, scannet1500 or pairs:FILE")
            }
            self = .pairs(file: String(text.dropFirst(6)))
        }
    }

    public var name: String {
        switch self {
        case .synthetic: return "synthetic"
        case .megadepth1500: return "megadepth1500"
        case .scannet1500: return "scannet1500"
        case .pairs(let file): return "pairs-" + URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        }
    }

    public var description: String { name }

    /// The evaluation protocol, with the sampling/estimation threshold in pixels.
    public func evaluationProtocol(thresholdPixels: Double = 0.5) -> EvaluationProtocol {
        switch self {
        case .megadepth1500:
            // romatch/benchmarks/megadepth_pose_estimation_benchmark.py: intrinsics and
            // keypoints in a frame whose longer side is 1200 px; 5 × (sample + estimate).
            return EvaluationProtocol(resize: .longerSide, resizeTo: 1200, keypointShift: 0, thresholdPixels: thresholdPixels,
                                      repetitions: 5, resampleEachRepetition: true, countLastRepetitionTwice: false,
                                      source: "romatch 0.1.2 benchmarks/megadepth_pose_estimation_benchmark.py")
        case .scannet1500:
            // romatch/benchmarks/scannet_benchmark.py: shorter side 480, keypoints shifted by
            // −0.5 px, one sample then 5 estimates on reshuffled matches; after the loop the
            // reference appends the last repetition's errors once more, so each pair
            // contributes 6 errors. We reproduce that to compare with published numbers.
            return EvaluationProtocol(resize: .shorterSide, resizeTo: 480, keypointShift: -0.5, thresholdPixels: thresholdPixels,
                                      repetitions: 5, resampleEachRepetition: false, countLastRepetitionTwice: true,
                                      source: "romatch 0.1.2 benchmarks/scannet_benchmark.py")
        case .synthetic, .pairs:
            // Our own sets follow the MegaDepth repetition scheme in the images' own pixels.
            return EvaluationProtocol(resize: .none, resizeTo: 0, keypointShift: 0, thresholdPixels: thresholdPixels,
                                      repetitions: 5, resampleEachRepetition: true, countLastRepetitionTwice: false,
                                      source: "roma-swift: MegaDepth-1500 repetitions, original pixel grid")
        }
    }

    /// The pair list and the folder its image paths are relative to.
    /// `datasetsFolder` holds the committed ground truth (the repository's `datasets/`).
    public func pairListAndRoot(datasetsFolder: String, environment: [String: String], root: String? = nil) throws -> (list: String, root: String) {
        switch self {
        case .synthetic(let folder):
            return (folder + "/pairs.txt", root ?? folder)
        case .pairs(let file):
            return (file, root ?? URL(fileURLWithPath: file).deletingLastPathComponent().path)
        case .megadepth1500, .scannet1500:
            let variable = self == .megadepth1500 ? "MEGADEPTH_ROOT" : "SCANNET_ROOT"
            let list = "\(datasetsFolder)/\(name)/pairs.txt"
            guard let folder = root ?? environment[variable].flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw DatasetError("\(name) needs its images: set \(variable) to the folder holding \(imageLayout). \(whereToGet)")
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw DatasetError("\(variable)=\(folder) is not a folder. \(name) needs \(imageLayout) there. \(whereToGet)")
            }
            return (list, folder)
        }
    }

    /// The image size the committed intrinsics are for, when the benchmark fixes one:
    /// ScanNet-1500's intrinsics.npz describes the 640×480 frames of the LoFTR archive,
    /// not ScanNet's raw 1296×968 colour images.
    public var requiredImageSize: (width: Int, height: Int)? {
        self == .scannet1500 ? (640, 480) : nil
    }

    var imageLayout: String {
        switch self {
        case .megadepth1500: return "Undistorted_SfM/0015/images/… and Undistorted_SfM/0022/images/…"
        case .scannet1500: return "scans_test/scene07xx_00/color/<frame>.jpg"
        default: return "the images named in the pair list"
        }
    }

    /// Where to download the images (facts from the LoFTR and dataset home pages).
    public var whereToGet: String {
        switch self {
        case .megadepth1500:
            return "Get them from the LoFTR test data (megadepth_test_1500.tar, linked from https://github.com/zju3dv/LoFTR) or MegaDepth v1 (https://www.cs.cornell.edu/projects/megadepth/)."
        case .scannet1500:
            return "Get them from the LoFTR test data (scannet_test_1500.tar, linked from https://github.com/zju3dv/LoFTR; ScanNet's terms apply: http://www.scan-net.org/)."
        case .synthetic:
            return "Render them with `roma synth -o DIR` (or `make eval BENCH=synthetic`)."
        case .pairs:
            return "Image paths in a pair list are relative to the list's folder unless --root is given."
        }
    }
}

/// How a benchmark turns matches into pose errors.
public struct EvaluationProtocol: Codable, Sendable, Equatable {
    public enum Resize: String, Codable, Sendable { case none, longerSide = "longer-side", shorterSide = "shorter-side" }
    /// The pixel frame in which keypoints, intrinsics and the threshold are expressed.
    public var resize: Resize
    public var resizeTo: Double
    /// Added to keypoint coordinates in that frame (ScanNet: −0.5).
    public var keypointShift: Double
    /// RANSAC threshold in that frame, normalised by the estimator as the reference does.
    public var thresholdPixels: Double
    public var repetitions: Int
    /// Whether each repetition draws new matches (MegaDepth) or reuses one draw (ScanNet).
    public var resampleEachRepetition: Bool
    /// Reproduces the ScanNet benchmark appending the last repetition twice.
    public var countLastRepetitionTwice: Bool
    public var source: String

    /// Scale from an image's own pixels to the protocol frame.
    public func scale(width: Int, height: Int) -> Double {
        switch resize {
        case .none: return 1
        case .longerSide: return resizeTo / Double(max(width, height))
        case .shorterSide: return resizeTo / Double(min(width, height))
        }
    }
}
