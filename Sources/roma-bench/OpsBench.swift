import ArgumentParser

struct OpsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ops", abstract: "(not built yet)")
    func run() throws { throw BenchmarkNotBuiltYet(name: "ops") }
}
