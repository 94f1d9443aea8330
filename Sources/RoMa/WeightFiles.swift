import Foundation

/// Where the official checkpoints are looked for, and the message when they are absent.
/// `make weights` downloads them into `cacheDirectory` (romatch's model_zoo URLs).
public enum WeightFiles {
    public static let outdoor = "roma_outdoor.pth"
    public static let indoor = "roma_indoor.pth"
    public static let dinov2 = "dinov2_vitl14_pretrain.pth"

    /// `$ROMA_WEIGHTS` if set, else `~/.cache/roma-swift/weights`.
    public static var cacheDirectory: String {
        if let env = ProcessInfo.processInfo.environment["ROMA_WEIGHTS"], !env.isEmpty { return env }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/roma-swift/weights").path
    }

    /// The given paths, or the cached defaults; throws naming every missing file and where it belongs.
    public static func resolve(weights: String?, dinov2 dino: String?, indoor: Bool) throws -> (roma: String, dinov2: String) {
        let roma = weights ?? cacheDirectory + "/" + (indoor ? indoorFile : outdoor)
        let vit = dino ?? cacheDirectory + "/" + dinov2
        let missing = [roma, vit].filter { !FileManager.default.fileExists(atPath: $0) }
        guard missing.isEmpty else {
            throw RoMaError("missing weights: \(missing.joined(separator: ", ")). Run `make weights` to download "
                + "\(indoor ? indoorFile : outdoor) and \(dinov2) into \(cacheDirectory), or pass --weights and --dinov2.")
        }
        return (roma, vit)
    }

    private static var indoorFile: String { Self.indoor }

    /// Opens a weight file by its extension. `.safetensors` is read here; `.pth`
    /// (torch zip checkpoints) goes through `pthLoader` when one is installed.
    public static func open(_ path: String) throws -> any WeightSource {
        if path.hasSuffix(".safetensors") { return try SafetensorsWeights(path: path) }
        if let loader = pthLoader { return try loader(path) }
        throw RoMaError("\(path): this build reads .safetensors weights only (the .pth checkpoint loader is not linked in); "
            + "convert with `python scripts/reference/convert_checkpoint.py \(path)`")
    }

    /// Hook for the checkpoint module's torch-zip reader.
    nonisolated(unsafe) public static var pthLoader: ((String) throws -> any WeightSource)?
}
