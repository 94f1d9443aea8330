import ArgumentParser

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "(not built yet)")

    func run() throws {
        throw NotBuiltYet(command: "evaluate")
    }
}
