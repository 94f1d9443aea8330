import ArgumentParser

struct GeometryBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "geometry", abstract: "(not built yet)")
    func run() throws { throw BenchmarkNotBuiltYet(name: "geometry") }
}
