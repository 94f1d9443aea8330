import ArgumentParser

struct Pose: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pose", abstract: "(not built yet)")

    func run() throws {
        throw NotBuiltYet(command: "pose")
    }
}
