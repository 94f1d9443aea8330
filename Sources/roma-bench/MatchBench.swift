import ArgumentParser

struct MatchBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "match", abstract: "(not built yet)")
    func run() throws { throw BenchmarkNotBuiltYet(name: "match") }
}
