import Checkpoint
import Foundation

/// Tiny RoMa's weights as romatch's `tiny_roma_v1_outdoor` assembles them: XFeat
/// from `xfeat.pt` (torch.hub), then the Tiny RoMa state dict loaded strictly over
/// the whole model. That state dict holds XFeat too (`xfeat.0.*`, XFeat being a
/// registered submodule when `freeze_xfeat` is False, as the model zoo builds it),
/// so its copy is the one used; `xfeat.pt` is read only for a checkpoint saved
/// without XFeat (`freeze_xfeat=True`).
public struct TinyWeights: WeightSource {
    public let tiny: StateDict
    public let xfeat: StateDict?
    /// Matcher widths, read from the checkpoint (the tests' fixture is narrower).
    public let architecture: TinyRoMaArchitecture

    /// Checks the files against the official layouts when the widths are the official
    /// ones, so a wrong or foreign file is named with what it looks like instead of
    /// failing at one key. (Other widths are checked key by key as the model binds them.)
    public init(tiny: StateDict, xfeat: StateDict?) throws {
        self.tiny = tiny
        self.xfeat = xfeat
        let coarse = tiny.info("coarse_matcher.0.layer.0.weight")?.shape.first
        let fine = tiny.info("fine_matcher.0.layer.0.weight")?.shape.first
        architecture = TinyRoMaArchitecture(coarseWidth: coarse ?? 256, fineWidth: fine ?? 64)
        let hasXFeat = tiny.keys.contains { $0.hasPrefix("xfeat.0.") }
        if architecture == .official || coarse == nil || fine == nil {
            var expected = OfficialWeights.tiny.expectedLayout
            if !hasXFeat { expected = expected.filter { !$0.key.hasPrefix("xfeat.0.") } }
            try Self.check(tiny, expected: expected, as: .tiny)
        }
        if !hasXFeat {
            guard let xfeat else {
                throw RoMaError("\(tiny.file) holds no XFeat weights (xfeat.0.*): pass XFeat's checkpoint with --xfeat (\(OfficialWeights.xfeat.fileName))")
            }
            try Self.check(xfeat, expected: OfficialWeights.xfeat.expectedLayout, as: .xfeat)
        }
    }

    public func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        let values: [Float]
        if key.hasPrefix("xfeat.0."), !tiny.contains(key), let xfeat {
            values = try xfeat.tensor(String(key.dropFirst("xfeat.0.".count)), shape: shape)
        } else {
            values = try tiny.tensor(key, shape: shape)
        }
        // A NaN in one weight would silently poison every warp; refuse it at load time.
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw RoMaError("weight '\(key)' holds a non-finite value (\(values[bad])) at element \(bad): the checkpoint is corrupt")
        }
        return values
    }

    /// Throws a message naming the file, what it was expected to be, what it looks like
    /// (when it is another official checkpoint) and the layout differences.
    static func check(_ dict: StateDict, expected: [String: [Int]], as official: OfficialWeights) throws {
        let report = dict.validate(expected: expected)
        guard !report.isValid else { return }
        let lookalike = OfficialWeights.allCases.first { $0 != official && dict.validate(expected: $0.expectedLayout).isValid }
        var message = "is not a \(official == .tiny ? "Tiny RoMa v1" : "XFeat") checkpoint (\(official.fileName))"
        if let lookalike { message += ": it is laid out as \(lookalike.fileName)" }
        throw CheckpointError(file: dict.file, message + "\n" + report.description)
    }
}

/// Which files `roma match --model tiny` reads: the ones given, or the official
/// ones from the weights cache, downloaded when missing and the network allows it.
public enum TinyWeightFiles {
    public static func resolve(weights: String?, xfeat: String?, cache: WeightsCache = WeightsCache(),
                               download: Bool = true) throws -> (tiny: String, xfeat: String?) {
        for given in [weights, xfeat].compactMap({ $0 }) where !FileManager.default.fileExists(atPath: given) {
            throw RoMaError("missing weights: \(given). `roma weights --only tiny` downloads the official checkpoint into \(cache.folder)")
        }
        if let weights { return (weights, xfeat) }
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let path = download ? try cache.ensure([.tiny], log: log)[0] : try cache.path(for: .tiny)
        return (path, xfeat)
    }

    /// The model's weight source; `xfeat` is opened only when given.
    public static func open(tiny: String, xfeat: String?) throws -> TinyWeights {
        try TinyWeights(tiny: try StateDict.load(tiny), xfeat: try xfeat.map { try StateDict.load($0) })
    }
}
