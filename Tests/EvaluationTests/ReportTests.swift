import Artifacts
import Foundation
import ImageIO
import Testing
import TestSupport
@testable import Evaluation

@Suite("Report")
struct ReportTests {
    @Test("renders Markdown, HTML, the curve and pictures from a run's artifacts")
    func render() throws {
        let run = try SmallRun.make(label: "report") { pair, r in SmallRun.pose(pair, rotatedBy: pair.id == "0000" ? 1 : 12) }
        let results = try Evaluator.evaluate(manifest: run.manifest, posesFolder: run.posesFolder, config: "oracle/test",
                                             warpsFolder: run.folder + "/data", truthWarpsFolder: run.folder + "/data")
        try results.artifact.write(to: run.folder + "/results.safetensors")
        let out = run.folder + "/report"
        let rendered = try ReportRenderer.render(ReportInputs(results: run.folder + "/results.safetensors", manifest: run.folder + "/pairs.json",
                                                              poses: run.posesFolder, matches: run.matchesFolder, warps: run.folder + "/data",
                                                              output: out, picturesPerEnd: 1))
        let markdown = try String(contentsOfFile: rendered.markdown, encoding: .utf8)
        let html = try String(contentsOfFile: rendered.html, encoding: .utf8)
        // The table holds this run's AUC, computed from errors 1° (pair 0000) and 12° (pair 0001).
        let auc5 = String(format: "%.1f", 100 * PoseAUC.auc([1, 1, 1, 1, 1, 12, 12, 12, 12, 12])[0])
        #expect(markdown.contains("| roma-swift, oracle/test | \(auc5) |"))
        #expect(markdown.contains("PCK@1 px") && markdown.contains("| 0.000 | 100.0 | 100.0 | 100.0 |"))
        #expect(markdown.contains("best-1-0000.png") && markdown.contains("worst-1-0001-warp.png"))
        #expect(markdown.contains("SHA-256"))
        #expect(html.contains("<img src=\"curve.png\"") && html.contains("<table>") && !html.contains("`"))
        // Pair table sorted by error: the 1° pair before the 12° pair.
        let table = markdown.components(separatedBy: "## Per pair")[1]
        #expect(table.range(of: "| 0000 |")!.lowerBound < table.range(of: "| 0001 |")!.lowerBound)
        for figure in rendered.figures {
            let size = try ImageHeader.size(of: figure)
            #expect(size.width > 100 && size.height > 100, "\(figure)")
        }
        #expect(rendered.figures.count == 5)  // curve + (matches, warp) × 2 pairs
    }

    @Test("published reference numbers appear beside MegaDepth and ScanNet results")
    func published() throws {
        let folder = TestPaths.scratch("published")
        let results = BenchmarkResults(bench: "megadepth1500", config: "roma/n5000", pairIDs: ["p"], repetitions: 1, rotationErrors: [3],
                                       translationErrors: [4], failed: [0], inlierCounts: [100], matchCounts: [5000], countLastRepetitionTwice: false)
        try results.artifact.write(to: folder + "/results.safetensors")
        let rendered = try ReportRenderer.render(ReportInputs(results: folder + "/results.safetensors", output: folder + "/report"))
        let markdown = try String(contentsOfFile: rendered.markdown, encoding: .utf8)
        #expect(markdown.contains("| 62.6 | 76.7 | 86.3 |") && markdown.contains("CVPR 2024"))
        #expect(markdown.contains("no picture (no manifest given)"))
        #expect(PublishedNumbers.roma(bench: "scannet1500")?.auc == [31.8, 53.4, 70.9])
    }

    @Test("drawing: lines land where asked, PNG round-trips")
    func canvas() throws {
        var c = Canvas(width: 40, height: 30)
        c.line(0, 10.5, 40, 10.5, color: 0xFF0000, thickness: 1)
        let mid = (10 * 40 + 20) * 3
        #expect(c.rgb[mid] > 200 && c.rgb[mid + 1] < 120)    // red on the line (RGB order, anti-aliased)
        #expect(c.rgb[(25 * 40 + 20) * 3 + 1] == 255)         // white elsewhere
        let path = TestPaths.scratch("canvas") + "/c.png"
        try c.writePNG(to: path)
        #expect(try Canvas.read(path).rgb == c.rgb)
        #expect(throws: ArtifactError.self) { try Canvas.read(path + ".absent") }
    }
}
