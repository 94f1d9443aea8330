import ArgumentParser

struct Estimate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "estimate", abstract: "(not built yet)")

    func run() throws {
        throw NotBuiltYet(command: "estimate")
    }
}
