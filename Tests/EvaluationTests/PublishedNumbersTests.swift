import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Evaluation

/// The report lists RoMa v2's published AUCs beside RoMa's, each with its source.
@Suite struct PublishedNumbersTests {
    @Test(arguments: [("megadepth1500", "| 62.6 | 76.7 | 86.3 |", "| 62.8 | 76.8 | 86.5 |"),
                      ("scannet1500", "| 31.8 | 53.4 | 70.9 |", "| 34.0 | 56.5 | 73.9 |")])
    func bothGenerationsAppearWithTheirSources(bench: String, v1: String, v2: String) throws {
        let folder = TestPaths.scratch("published-v2-\(bench)")
        let results = BenchmarkResults(bench: bench, config: "roma2/n5000", pairIDs: ["p"], repetitions: 1, rotationErrors: [3],
                                       translationErrors: [4], failed: [0], inlierCounts: [100], matchCounts: [5000],
                                       countLastRepetitionTwice: false)
        try results.artifact.write(to: folder + "/results.safetensors")
        let rendered = try ReportRenderer.render(ReportInputs(results: folder + "/results.safetensors", output: folder + "/report"))
        let markdown = try String(contentsOfFile: rendered.markdown, encoding: .utf8)
        #expect(markdown.contains("RoMa (published) ¹ \(v1)"), "\(markdown)")
        #expect(markdown.contains("RoMa v2 (published) ² \(v2)"), "\(markdown)")
        #expect(markdown.contains("¹ Edstedt et al., RoMa: Robust Dense Feature Matching, CVPR 2024."))
        #expect(markdown.contains("² Edstedt et al., RoMa v2: Harder Better Faster Denser Feature Matching, 2025; numbers from the romav2 2.0.1 README"))
    }

    @Test func otherBenchmarksHaveNone() {
        #expect(PublishedNumbers.all(bench: "synthetic").isEmpty)
        #expect(PublishedNumbers.all(bench: "megadepth1500").map(\.method) == ["RoMa (published)", "RoMa v2 (published)"])
    }
}
