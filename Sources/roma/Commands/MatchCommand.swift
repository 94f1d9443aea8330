import ArgumentParser

struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "match", abstract: "(not built yet)")

    func run() throws {
        throw NotBuiltYet(command: "match")
    }
}
