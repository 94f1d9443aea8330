import ArgumentParser
import Foundation

@main
struct Roma: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roma",
        abstract: "Two-view geometry with RoMa dense matching: decode, match, sample, estimate, evaluate, report.",
        discussion: """
        Each stage reads and writes typed files (safetensors artifacts, described in \
        docs/artifacts.md), so any stage can be rerun on its own. `roma pose` runs all \
        of them for one pair; `roma info FILE` describes any artifact.
        """,
        version: "0.1.0",
        subcommands: [
            Decode.self, Match.self, Sample.self, Estimate.self, Evaluate.self, Report.self, Compare.self,
            Pose.self, Synth.self, Info.self, Sift.self, Weights.self,
            Import.self, Export.self,
        ]
    )
}
