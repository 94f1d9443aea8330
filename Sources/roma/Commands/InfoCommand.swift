import ArgumentParser
import Artifacts

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print an artifact's schema, metadata and tensor shapes."
    )

    @Argument(help: "Artifact files (.safetensors) to describe.")
    var files: [String]

    func run() throws {
        for (i, file) in files.enumerated() {
            let artifact = try Artifact.read(file)
            if i > 0 { print("") }
            print(artifact.summary)
        }
    }
}
