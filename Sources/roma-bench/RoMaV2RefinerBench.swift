import ArgumentParser
import RoMa

/// `roma-bench v2-refiner`: the Swift side of the full-size refiner check (docs/roma2.md,
/// "Fine features and refiners"); `romav2_refiner_fullsize.py compare DIR` prints the figures.
struct RoMaV2RefinerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "v2-refiner",
        abstract: "RoMa v2 fine features + refiners at full width on romav2_refiner_fullsize.py's inputs; writes DIR/ours.safetensors.")

    @Option(help: "Folder written by `romav2_refiner_fullsize.py prepare` (and `run`).")
    var dir = "runs/v2refine_fullsize"

    @OptionGroup var threading: ThreadOption

    func run() throws {
        threading.apply()
        try RoMaV2RefinerCheck.run(directory: dir)
        print("wrote \(dir)/ours.safetensors; compare with scripts/reference/romav2_refiner_fullsize.py compare \(dir)")
    }
}
