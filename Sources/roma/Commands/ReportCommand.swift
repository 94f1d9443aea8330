import ArgumentParser
import Evaluation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a results artifact as Markdown and HTML with plots and match pictures.",
        discussion: """
        Writes OUT/report.md, OUT/index.html, OUT/curve.png (cumulative pose error) and \
        OUT/pairs/*.png (best and worst pairs). Reads only existing artifacts, so it takes \
        seconds; `make report` runs it with the paths of a `make eval` run.
        """
    )

    @Argument(help: "The results artifact written by `roma evaluate` (roma.results/1).")
    var results: String

    @Option(help: "The benchmark manifest (pairs.json), for image paths and ground-truth provenance.")
    var manifest: String?

    @Option(help: "Folder of r<k>/<pair>.pose.safetensors, to colour matches as inliers or outliers.")
    var poses: String?

    @Option(help: "Folder of r<k>/<pair>.matches.safetensors, for match pictures.")
    var matches: String?

    @Option(help: "Folder of <pair>.warp.safetensors, for warp and certainty pictures.")
    var warps: String?

    @Option(help: "How many best and how many worst pairs to picture.")
    var pictures: Int = 2

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    func validate() throws {
        guard pictures >= 0, pictures <= 50 else { throw ValidationError("--pictures must be in 0…50") }
    }

    func run() throws {
        let out = try ReportRenderer.render(ReportInputs(results: results, manifest: manifest, poses: poses, matches: matches,
                                                         warps: warps, output: output, picturesPerEnd: pictures))
        print("report: \(out.html), \(out.markdown), \(out.figures.count) figures")
    }
}
