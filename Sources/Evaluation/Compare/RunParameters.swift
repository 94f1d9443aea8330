import Artifacts
import Foundation

/// What made a run, read back along its provenance chain: the results artifact
/// names its pose files, a pose file its matches, a matches file its warp. Each
/// stage's recorded parameters become `stage.name` entries (pair 0, repetition 0
/// stands for the run: every pair of a configuration is made with the same options).
public struct RunParameters: Sendable {
    public var values: [String: String]
    /// Folder of r<k>/<pair>.matches.safetensors, for match pictures.
    public var matchesFolder: String?
    /// Folder of r<k>/<pair>.pose.safetensors.
    public var posesFolder: String?
    /// pairs.json beside the results (a `make eval` configuration folder), for image paths.
    public var manifest: String?
    /// Why the chain stopped early, if it did.
    public var gap: String?

    /// Parameters that change per pair or only name files, left out of the comparison.
    static let perPair: Set<String> = ["K_a", "K_b", "manifest", "pair", "threshold_normalized", "names", "image_a", "image_b"]

    public static func read(results path: String, artifact: Artifact, firstPair id: String) -> RunParameters {
        var p = RunParameters(values: [:])
        p.add(stage: "evaluate", artifact, skipping: ["bench", "thresholds", "config"])
        let folder = (path as NSString).deletingLastPathComponent
        let manifest = folder + "/pairs.json"
        if FileManager.default.fileExists(atPath: manifest) { p.manifest = manifest }

        // The pose of the first pair, as recorded by `roma evaluate`, else beside the results.
        let suffix = "/r0/\(id).pose.safetensors"
        let poseFile = existing(recordedInput(artifact, suffix: suffix), folder + suffix)
        guard let poseFile, let pose = try? Artifact.read(poseFile) else {
            p.gap = "no pose file for pair \(id) (looked for \(folder + suffix) and the results' recorded inputs)"
            return p
        }
        p.posesFolder = parent(parent(poseFile))
        p.add(stage: "estimate", pose)

        guard let matchesFile = existing(recordedInput(pose, suffix: ".matches.safetensors")), let matches = try? Artifact.read(matchesFile) else {
            p.gap = "\(poseFile) names no readable matches file"
            return p
        }
        p.matchesFolder = parent(parent(matchesFile))
        p.add(stage: matches.metadata["stage"] ?? "matches", matches)

        if let warpFile = existing(recordedInput(matches, suffix: ".warp.safetensors")), let warp = try? Artifact.read(warpFile) {
            p.add(stage: "warp", warp)
            p.values["warp.stage"] = warp.metadata["stage"] ?? "?"
        }
        return p
    }

    mutating func add(stage: String, _ artifact: Artifact, skipping: Set<String> = []) {
        for (key, value) in artifact.params where !Self.perPair.contains(key) && !skipping.contains(key) {
            values["\(stage).\(key)"] = Self.text(value)
        }
        if let seed = artifact.metadata["seed"] { values["\(stage).seed"] = seed }
    }

    /// Keys whose values are not the same in every run (a missing key counts as a value).
    public static func differing(_ runs: [RunParameters]) -> [String] {
        let keys = Set(runs.flatMap(\.values.keys)).sorted()
        return keys.filter { key in Set(runs.map { $0.values[key] ?? "–" }).count > 1 }
    }

    static func text(_ value: Any) -> String {
        switch value {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default:
            guard JSONSerialization.isValidJSONObject(value),
                  let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "\(value)" }
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func recordedInput(_ artifact: Artifact, suffix: String) -> String? {
        guard let text = artifact.metadata["inputs"], let data = text.data(using: .utf8),
              let inputs = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return inputs.keys.sorted().first { $0.hasSuffix(suffix) }
    }

    static func existing(_ candidates: String?...) -> String? {
        candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func parent(_ path: String) -> String { (path as NSString).deletingLastPathComponent }
}
