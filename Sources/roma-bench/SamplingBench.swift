import ArgumentParser

struct SamplingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "(not built yet)")
    func run() throws { throw BenchmarkNotBuiltYet(name: "sample") }
}
