import Checkpoint
import Foundation

/// Which weight files `roma match` reads: the ones given, or the official
/// checkpoints from the weights cache (`roma weights` / `make weights`), which are
/// downloaded when missing and the network allows it.
public enum WeightFiles {
    /// The given paths, or the cached official files; throws naming every missing
    /// file, where it belongs and how to get it.
    public static func resolve(weights: String?, dinov2: String?, indoor: Bool,
                               cache: WeightsCache = WeightsCache(), download: Bool = true) throws -> (roma: String, dinov2: String) {
        if let weights, let dinov2 {
            let missing = [weights, dinov2].filter { !FileManager.default.fileExists(atPath: $0) }
            guard missing.isEmpty else {
                throw RoMaError("missing weights: \(missing.joined(separator: ", ")). `make weights` downloads the official "
                    + "checkpoints into \(cache.folder); or pass existing files with --weights and --dinov2.")
            }
            return (weights, dinov2)
        }
        let official: OfficialWeights = indoor ? .indoor : .outdoor
        var needed: [OfficialWeights] = []
        if weights == nil { needed.append(official) }
        if dinov2 == nil { needed.append(.dinov2) }
        let paths: [String]
        if download {
            paths = try cache.ensure(needed, log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        } else {
            paths = try needed.map { try cache.path(for: $0) }
        }
        var iterator = paths.makeIterator()
        let roma = weights ?? iterator.next()!
        let vit = dinov2 ?? iterator.next()!
        for given in [weights, dinov2].compactMap({ $0 }) where !FileManager.default.fileExists(atPath: given) {
            throw RoMaError("missing weights: \(given)")
        }
        return (roma, vit)
    }

    /// Opens a torch checkpoint (`.pth`, read without executing any pickled code)
    /// or a safetensors file, chosen by content.
    public static func open(_ path: String) throws -> any WeightSource {
        try StateDict.load(path)
    }
}
