import ArgumentParser

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "(not built yet)")
    func run() throws { throw NotBuiltYet(command: "decode") }
}
