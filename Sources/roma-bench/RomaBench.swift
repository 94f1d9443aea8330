import ArgumentParser

@main
struct RomaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roma-bench",
        abstract: "Speed and accuracy benchmarks (run through `make bench-…`; never part of the test suite).",
        subcommands: [GeometryBench.self, SamplingBench.self, OpsBench.self, MatchBench.self, StartupBench.self, FuzzBench.self, PeakBench.self, SyntheticBench.self, EvalBench.self,
                      RoMaV2MatcherBench.self, RoMaV2RefinerBench.self, DescriptorBench.self, StagesBench.self,
                      RoMaV2SamplingBench.self, RefinerBlockBench.self, ResizeBench.self]
    )
}
