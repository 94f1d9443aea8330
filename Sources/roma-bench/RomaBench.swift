import ArgumentParser

@main
struct RomaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roma-bench",
        abstract: "Speed and accuracy benchmarks (run through `make bench-…`; never part of the test suite).",
        subcommands: [GeometryBench.self, SamplingBench.self, OpsBench.self, MatchBench.self, EvalBench.self]
    )
}

struct BenchmarkNotBuiltYet: Error, CustomStringConvertible {
    let name: String
    var description: String { "benchmark `\(name)` is not built yet." }
}
