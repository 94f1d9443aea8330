import ArgumentParser

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "(not built yet)")

    func run() throws {
        throw NotBuiltYet(command: "sample")
    }
}
