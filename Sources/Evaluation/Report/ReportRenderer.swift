import Artifacts
import Foundation

/// What `roma report` reads. Only `results` is required; the rest adds pictures.
public struct ReportInputs: Sendable {
    public var results: String
    /// pairs.json from `roma evaluate prepare`: image paths for the pictures.
    public var manifest: String?
    /// Folder of r<k>/<pair>.pose.safetensors (inlier flags for the match pictures).
    public var poses: String?
    /// Folder of r<k>/<pair>.matches.safetensors.
    public var matches: String?
    /// Folder of <pair>.warp.safetensors (warp and certainty pictures).
    public var warps: String?
    public var output: String
    /// Pictures of this many best and this many worst pairs.
    public var picturesPerEnd: Int

    public init(results: String, manifest: String? = nil, poses: String? = nil, matches: String? = nil, warps: String? = nil,
                output: String, picturesPerEnd: Int = 2) {
        self.results = results
        self.manifest = manifest
        self.poses = poses
        self.matches = matches
        self.warps = warps
        self.output = output
        self.picturesPerEnd = picturesPerEnd
    }
}

/// Renders a run's report: `report.md`, `index.html`, `curve.png` and `pairs/*.png`.
/// Every number comes from the results artifact (named with its SHA-256 in the
/// provenance section) or from a cited publication.
public enum ReportRenderer {
    public struct Output: Sendable {
        public var markdown: String
        public var html: String
        public var figures: [String]
    }

    public static func render(_ inputs: ReportInputs) throws -> Output {
        let artifact = try Artifact.read(inputs.results, expecting: .results)
        let results = try BenchmarkResults(artifact)
        let manifest = try inputs.manifest.map { try BenchmarkManifest.read($0) }
        if let manifest, manifest.pairs.map(\.id) != results.pairIDs {
            throw ArtifactError(file: inputs.manifest!, "lists other pairs than \(inputs.results)")
        }
        var doc = ReportDocument(title: "Pose evaluation: \(results.bench) — \(results.config)")
        var figures: [String] = []

        // AUC table beside the published numbers.
        doc.heading("Relative pose accuracy")
        let degrees = results.thresholds.map { String(format: "%g°", $0) }
        var rows = [["roma-swift, \(results.config)"] + results.auc.map { pct($0) } + results.accuracy.map { pct($0) }]
        for (n, published) in PublishedNumbers.all(bench: results.bench).enumerated() {
            rows.append([published.method + " " + PublishedNumbers.mark(n)] + published.auc.map { String(format: "%.1f", $0) } + results.thresholds.map { _ in "–" })
        }
        doc.table(["method"] + degrees.map { "AUC@" + $0 } + degrees.map { "acc@" + $0 }, rows)
        let errors = results.poseErrorsForAUC
        let failures = results.failed.reduce(0) { $0 + Int($1) }
        doc.paragraph("\(results.pairCount) pairs × \(results.repetitions) repetitions = \(results.pairCount * results.repetitions) estimates"
            + (results.countLastRepetitionTwice ? "; as the reference ScanNet benchmark does, each pair's last repetition is counted twice (\(errors.count) errors)" : "")
            + "; \(failures) failed (counted as 90°). AUC in percent, as romatch's `pose_auc`; accuracy = fraction of errors below the threshold.")
        for (n, published) in PublishedNumbers.all(bench: results.bench).enumerated() {
            doc.paragraph("\(PublishedNumbers.mark(n)) \(published.source).")
        }

        let curve = ErrorCurvePlot.draw(errors: errors, thresholds: results.thresholds, auc: results.auc,
                                        title: "Cumulative pose error, \(results.bench) (\(errors.count) estimates)")
        try curve.writePNG(to: inputs.output + "/curve.png")
        figures.append(inputs.output + "/curve.png")
        doc.image("curve.png", alt: "Cumulative pose error curve")

        // AUC per difficulty factor and bin (synthetic sets with difficulty factors).
        if let manifest, let breakdown = FactorBreakdown(results: results, manifest: manifest) {
            doc.heading("Accuracy by difficulty factor")
            doc.table(["factor", "bin", "pairs"] + degrees.map { "AUC@" + $0 },
                      breakdown.rows.map { [$0.factor, $0.bin, String($0.pairs)] + $0.auc.map { pct($0) } })
            doc.paragraph("Each pair's factors were drawn or measured by `roma synth` (difficulty.json): rotation = angle of the relative "
                + "rotation (°), overlap = covisible fraction of the smaller view from the ground-truth warp, scale = mean scale change, "
                + "in_plane = extra camera roll (°), light = turn of the light direction (°), exposure (stops), white_balance = "
                + "per-channel gain change, weak_texture = image share of repeated or near-uniform surfaces, noise σ (8-bit levels), "
                + "blur σ (px), jpeg_quality (worse view; 100 = PNG), occluders = objects present in one view only. "
                + "AUC over all repetitions of the pairs in each bin; a bin of few pairs is a rough figure.")
        }

        // Dense warp quality (synthetic set).
        if let quality = results.warpQuality {
            doc.heading("Dense warp against the ground truth")
            let valid = quality.filter { $0.validCells > 0 }
            let total = Double(valid.reduce(0) { $0 + $1.validCells })
            func weighted(_ f: (WarpQuality) -> Double) -> Double {
                total > 0 ? valid.reduce(0) { $0 + f($1) * Double($1.validCells) } / total : 0
            }
            doc.table(["end-point error (px)"] + WarpQuality.pckThresholds.map { String(format: "PCK@%g px", $0) },
                      [[String(format: "%.3f", weighted(\.endPointError))]
                       + WarpQuality.pckThresholds.indices.map { k in pct(weighted { $0.pck[k] }) }])
            doc.paragraph("Over the \(Int(total)) warp cells (both directions, all pairs) that the ground truth marks visible in the other image; PCK in percent.")
        }

        // Pictures of the best and worst pairs.
        let median = results.medianPoseErrorPerPair
        let order = results.pairIDs.indices.sorted { (median[$0], results.pairIDs[$0]) < (median[$1], results.pairIDs[$1]) }
        let chosen = picks(order, count: inputs.picturesPerEnd)
        if !chosen.isEmpty {
            doc.heading("Best and worst pairs")
            doc.paragraph("Repetition 0: matches as lines, green where the estimate counts them as inliers, red otherwise (at most 150 drawn)."
                          + (inputs.warps != nil ? " Warp pictures: A; B pulled into A's frame through the warp, faded by certainty; certainty (white = 1)." : ""))
        }
        for (label, index) in chosen {
            let id = results.pairIDs[index]
            let caption = "\(label): pair \(id), median pose error \(String(format: "%.2f", median[index])) deg"
            switch pictures(for: id, caption: caption, inputs: inputs, manifest: manifest) {
            case .success(let drawn):
                for (suffix, canvas) in drawn {
                    let name = "pairs/\(label)-\(id)\(suffix).png"
                    try canvas.writePNG(to: inputs.output + "/" + name)
                    figures.append(inputs.output + "/" + name)
                    doc.image(name, alt: caption)
                }
            case .failure(let reason):
                doc.paragraph("\(caption): no picture (\(reason)).")
            }
        }

        // Per-pair table.
        doc.heading("Per pair, sorted by median pose error")
        var header = ["pair", "median pose err (°)", "rot err r0 (°)", "transl err r0 (°)", "inliers / matches r0", "failed"]
        if results.warpQuality != nil { header += ["warp EPE (px)", "PCK@1 px"] }
        doc.table(header, order.map { p in
            let r0 = p * results.repetitions
            var row = [results.pairIDs[p], String(format: "%.2f", median[p]), String(format: "%.2f", results.rotationErrors[r0]),
                       String(format: "%.2f", results.translationErrors[r0]), "\(results.inlierCounts[r0]) / \(results.matchCounts[r0])",
                       "\((0..<results.repetitions).filter { results.failed[r0 + $0] != 0 }.count) / \(results.repetitions)"]
            if let q = results.warpQuality?[p] { row += [String(format: "%.3f", q.endPointError), pct(q.pck[0])] }
            return row
        })

        // Provenance of every number above.
        doc.heading("Provenance")
        var provenance = [
            "Every number in the tables and the curve comes from `\(inputs.results)` (SHA-256 \(try SHA256.hex(ofFile: inputs.results))), "
                + "written by \(artifact.metadata["tool"] ?? "an unknown tool"), stage `\(artifact.metadata["stage"] ?? "?")`, "
                + "parameters `\(artifact.metadata["params"] ?? "{}")`, from \(inputCount(artifact)) input files whose SHA-256 it records.",
            "Protocol: `\(results.protocolJSON)`.",
            "Pose error = max(rotation angle of R_estᵀR_gt, angle between translation directions folded to ≤ 90°); AUC and accuracy as "
                + "`pose_auc` / `acc_…` in romatch 0.1.2 (romatch/utils/utils.py, benchmarks/).",
        ]
        if let manifest, let path = inputs.manifest {
            provenance.append("Ground truth and images: `\(path)` (SHA-256 \(try SHA256.hex(ofFile: path))), from `\(manifest.pairList)`, images under `\(manifest.root)`.")
        }
        for published in PublishedNumbers.all(bench: results.bench) {
            provenance.append("Published numbers (\(published.method)): \(published.source).")
        }
        provenance.append("Rendered by roma-swift \(Provenance.toolVersion) on \(ISO8601DateFormatter().string(from: Date())).")
        doc.list(provenance)

        let written = try doc.write(into: inputs.output)
        return Output(markdown: written.markdown, html: written.html, figures: figures)
    }

    static func pct(_ fraction: Double) -> String { String(format: "%.1f", 100 * fraction) }

    static func inputCount(_ artifact: Artifact) -> Int {
        guard let text = artifact.metadata["inputs"], let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return 0 }
        return object.count
    }

    /// Labels and indices of the best `count` and worst `count` pairs (no pair twice).
    static func picks(_ order: [Int], count: Int) -> [(String, Int)] {
        let n = min(count, order.count / 2 + order.count % 2)
        var out: [(String, Int)] = []
        for k in 0..<n { out.append(("best-\(k + 1)", order[k])) }
        for k in 0..<min(count, order.count - n) { out.append(("worst-\(k + 1)", order[order.count - 1 - k])) }
        return out
    }

    /// The pictures of one pair, or why there are none.
    static func pictures(for id: String, caption: String, inputs: ReportInputs, manifest: BenchmarkManifest?,
                         height: Int = 360) -> Result<[(String, Canvas)], ReportPictureUnavailable> {
        guard let pair = manifest?.pairs.first(where: { $0.id == id }) else { return .failure(.init("no manifest given")) }
        do {
            let a = try Canvas.read(pair.imageA), b = try Canvas.read(pair.imageB)
            var drawn: [(String, Canvas)] = []
            if let folder = inputs.matches {
                let matches = try Matches.read("\(folder)/r0/\(id).matches.safetensors")
                let pose = try inputs.poses.map { try PoseResult.read(Evaluator.posePath(folder: $0, pair: id, repetition: 0)) }
                drawn.append(("", MatchPicture.matches(imageA: a, imageB: b, matches: matches, inliers: pose?.inliers, caption: caption,
                                                                   height: height)))
            }
            if let folder = inputs.warps {
                let warp = try Warp.read("\(folder)/\(id).warp.safetensors")
                drawn.append(("-warp", MatchPicture.warp(imageA: a, imageB: b, warp: warp, caption: caption + ", warp A->B")))
            }
            return drawn.isEmpty ? .failure(.init("no matches or warps folder given")) : .success(drawn)
        } catch {
            return .failure(.init("\(error)"))
        }
    }
}

struct ReportPictureUnavailable: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
