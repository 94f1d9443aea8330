import Evaluation
import Foundation
import Testing
import TestSupport

/// A two-pair synthetic run with oracle matches: images, manifest, matches and poses.
struct SmallSyntheticRun {
    var manifest: String
    var matches: String
    var poses: String
    var pairIDs: [String]

    init(folder: String, views: Int? = nil, width: Int = 160, height: Int = 120, num: Int = 800) throws {
        let data = folder + "/data"
        let shape = views.map { ["--views", "\($0)"] } ?? ["--pairs", "2"]
        let synth = try roma(["synth", "-o", data, "--width", "\(width)", "--height", "\(height)", "--warp-size", "128", "-q"] + shape)
        try #require(synth.status == 0, "\(synth.stderr)")
        manifest = folder + "/pairs.json"
        let prepare = try roma(["evaluate", "prepare", "synthetic", "--data", data, "-o", manifest])
        try #require(prepare.status == 0, "\(prepare.stderr)")
        pairIDs = try BenchmarkManifest.read(manifest).pairs.map(\.id)
        matches = folder + "/matches"
        poses = folder + "/poses"
        for id in pairIDs {
            let sample = try roma(["sample", "\(data)/\(id).warp.safetensors", "--num", "\(num)", "--seed", "0", "-o", "\(matches)/\(id).matches.safetensors"])
            try #require(sample.status == 0, "\(sample.stderr)")
            let estimate = try roma(["estimate", "\(matches)/\(id).matches.safetensors", "--manifest", manifest, "--pair", id,
                                     "-o", "\(poses)/\(id).pose.safetensors"])
            try #require(estimate.status == 0, "\(estimate.stderr)")
        }
    }
}
