import ArgumentParser

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "synth", abstract: "(not built yet)")

    func run() throws {
        throw NotBuiltYet(command: "synth")
    }
}
