import Artifacts
import Evaluation
import Foundation
import ImageIO
import Sampling

/// A reader driven through the `roma` executable: valid seed inputs, how to damage
/// them, and the command that reads the damaged file.
struct FuzzTarget: Sendable {
    enum Damage { case binary, text }

    let name: String
    /// What the target exercises, for the listing.
    let reader: String
    /// Seed files (names under the corpus folder); one is picked per case.
    let seeds: [String]
    let damage: Damage
    /// Exit codes a run may end with besides 1 (bad input): 0 when the damage left the
    /// file valid, 3 for an estimate that failed cleanly.
    var allowedExits: Set<Int32> = [0, 1]
    /// Whether a binary input cut short can never be valid (images, containers,
    /// checkpoints): then exit 0 on a truncated case is a silent acceptance.
    var truncationIsInvalid = true
    /// Arguments for the damaged input at `input`, with the case's folder (which holds
    /// copies of the corpus's helper files) and its output path.
    let arguments: @Sendable (_ input: String, _ folder: String, _ output: String) -> [String]
}

/// Valid inputs every target starts from, generated into a folder so each case can
/// copy what it needs. Small on purpose: a case is one short `roma` process.
enum FuzzCorpus {
    static let helperFiles = ["a.png", "b.png", "matches.safetensors", "decoded.safetensors", "clean.jpg"]

    static func build(in folder: String, fixtures: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func copy(_ fixture: String, _ name: String) throws {
            let target = folder + "/" + name
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: fixtures + "/" + fixture, toPath: target)
        }
        try copy("decode/photo_crop.jpg", "photo.jpg")
        try copy("decode/photo_crop.jpg", "clean.jpg")
        try copy("decode/small.png", "small.png")
        try copy("decode/small.png", "clean.png")
        try copy("decode/gray.png", "gray.png")
        try copy("checkpoint/state_dict.pt", "state_dict.pt")
        try copy("checkpoint/state_dict_p4.pt", "state_dict_p4.pt")
        try copy("checkpoint/state_dict.safetensors", "state_dict.safetensors")

        // Artifacts of each schema the stages read.
        var decoded = try DecodeStage.run(imagePath: folder + "/small.png", options: DecodeOptions(coarse: (28, 28), upsampled: (32, 32))).artifact
        try decoded.stamp(stage: "decode", params: [:], inputs: [])
        try decoded.write(to: folder + "/decoded.safetensors")
        try SyntheticWarp.projective(width: 12, height: 12, imageWidth: 60, imageHeight: 45).artifact.write(to: folder + "/warp.safetensors")
        var pointsA: [Double] = [], pointsB: [Double] = []
        for i in 0..<40 {
            let x = Double(5 + (i * 37) % 50), y = Double(4 + (i * 23) % 37)
            pointsA += [x, y]
            pointsB += [x + 3 + 0.01 * y, y - 2]
        }
        try Matches(pointsA: pointsA, pointsB: pointsB, certainty: [Double](repeating: 0.9, count: 40)).artifact
            .write(to: folder + "/matches.safetensors")

        // A pair list over two small images, and the manifest `evaluate prepare` makes of it.
        try ImageFile.write(try ImageFile.read(folder + "/small.png"), to: folder + "/a.png")
        try ImageFile.write(try ImageFile.read(folder + "/gray.png"), to: folder + "/b.png")
        let K = "100 0 30 0 100 22 0 0 1"
        let list = "# two views\nid=0000 a.png b.png \(K) 90 0 45 0 90 35 0 0 1 0.995004165 -0.0998334166 0 0.5 0.0998334166 0.995004165 0 0.01 0 0 1 0.02 0 0 0 1\n"
        try list.write(toFile: folder + "/pairs.txt", atomically: true, encoding: .utf8)
        let manifest = try BenchmarkManifest.prepare(try Benchmark(parsing: "pairs:" + folder + "/pairs.txt"), datasetsFolder: folder)
        try manifest.write(to: folder + "/pairs.json")
    }

    static let targets: [FuzzTarget] = [
        FuzzTarget(name: "container", reader: "safetensors container, any schema (roma info)",
                   seeds: ["decoded.safetensors", "warp.safetensors", "matches.safetensors"], damage: .binary) { input, _, _ in
            ["info", input]
        },
        FuzzTarget(name: "warp", reader: "roma.warp/2 (roma sample)", seeds: ["warp.safetensors"], damage: .binary) { input, _, output in
            ["sample", input, "--num", "50", "--seed", "1", "-o", output]
        },
        FuzzTarget(name: "matches", reader: "roma.matches/1 (roma estimate)", seeds: ["matches.safetensors"], damage: .binary,
                   allowedExits: [0, 1, 3]) { input, _, output in
            ["estimate", input, "--K-a", "100,100,30,22", "--K-b", "100,100,30,22", "--max-iterations", "200", "-o", output]
        },
        FuzzTarget(name: "decoded", reader: "roma.decoded/1 (roma info; match needs weights)", seeds: ["decoded.safetensors"], damage: .binary) { input, _, _ in
            ["info", input]
        },
        FuzzTarget(name: "image-decode", reader: "JPEG/PNG (roma decode)", seeds: ["photo.jpg", "small.png", "gray.png"], damage: .binary) { input, _, output in
            ["decode", input, "-o", output, "--coarse", "56", "--upsampled", "none"]
        },
        FuzzTarget(name: "image-sift", reader: "JPEG/PNG (roma sift)", seeds: ["photo.jpg", "small.png"], damage: .binary) { input, folder, output in
            ["sift", input, folder + "/clean.jpg", "--max-features", "300", "-o", output]
        },
        FuzzTarget(name: "pair-list", reader: "pair lists (roma evaluate prepare)", seeds: ["pairs.txt"], damage: .text,
                   truncationIsInvalid: false) { input, _, output in
            ["evaluate", "prepare", "pairs:" + input, "-o", output]
        },
        FuzzTarget(name: "manifest", reader: "benchmark manifests (roma estimate --manifest)", seeds: ["pairs.json"], damage: .text,
                   allowedExits: [0, 1, 3], truncationIsInvalid: false) { input, folder, output in
            ["estimate", folder + "/matches.safetensors", "--manifest", input, "--pair", "0000", "--max-iterations", "200", "-o", output]
        },
        FuzzTarget(name: "checkpoint", reader: "torch zip + pickle, safetensors weights (roma match --weights)",
                   seeds: ["state_dict.pt", "state_dict_p4.pt", "state_dict.safetensors"], damage: .binary) { input, folder, output in
            ["match", folder + "/decoded.safetensors", folder + "/decoded.safetensors", "--weights", input, "--dinov2", input, "-o", output]
        },
    ]
}
