import ArgumentParser
import Checkpoint
import Foundation

struct Weights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Download the official RoMa, DINOv2, Tiny RoMa and XFeat checkpoints (RoMa v2's with --only romav2) into the weights cache, or check them.",
        discussion: """
        Files: roma_outdoor.pth, roma_indoor.pth, dinov2_vitl14_pretrain.pth, \
        tiny_roma_v1_outdoor.pth and xfeat.pt, from the URLs romatch 0.1.2 uses, and \
        romav2.0.1.pt from the URL romav2 2.0.1 uses (1.1 GB, only with --only romav2: \
        the default is RoMa v1's files). Each download goes to a temporary file, is opened and its \
        tensor keys and shapes compared with what romatch expects, and only then renamed \
        into place; its size and SHA-256 are recorded in manifest.json beside it. Without \
        network access the command says which files to put where. See docs/checkpoints.md.
        """
    )

    @Option(help: "Weights folder (default: $ROMA_WEIGHTS, else ~/.cache/roma-swift).")
    var cache: String?

    @Option(help: "Only this checkpoint: outdoor, indoor, dinov2, tiny, xfeat or romav2 (default: the first five, RoMa v1's; RoMa v2's romav2 only when named).")
    var only: OfficialWeights?

    @Flag(help: "Download nothing: verify the cached files' keys, shapes and SHA-256 against the manifest (recording files placed by hand).")
    var check = false

    func run() throws {
        let cache = WeightsCache(folder: cache)
        let selected = only.map { [$0] } ?? OfficialWeights.defaultSelection
        let files = selected.map(\.weightFile)
        if check {
            // Report each present file as it is verified, then name the absent ones.
            var missing: [WeightFile] = []
            for file in files {
                if FileManager.default.fileExists(atPath: cache.path(of: file)) {
                    report(try cache.verify(file, hashing: true))
                } else {
                    missing.append(file)
                }
            }
            if !missing.isEmpty { throw WeightsUnavailable(folder: cache.folder, missing: missing, cause: nil) }
        } else {
            let statuses = try cache.fetch(files, downloader: CurlDownloader()) { message in
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
            statuses.forEach(report)
        }
    }

    private func report(_ status: WeightsCache.Status) {
        let digest = status.entry.map { "  sha256 \($0.sha256.prefix(16))…  \($0.bytes) bytes" } ?? ""
        print("\(status.action.padding(toLength: 10, withPad: " ", startingAt: 0)) \(status.path)\(digest)")
    }
}

extension OfficialWeights: ExpressibleByArgument {
    /// What `roma weights` fetches or checks without --only: RoMa v1's files. RoMa v2's
    /// 1.1 GB checkpoint is opt-in (`--only romav2`, or the first `roma match --model roma2`).
    static var defaultSelection: [OfficialWeights] { allCases.filter { $0 != .romav2 } }
}
