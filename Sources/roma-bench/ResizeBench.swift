import ArgumentParser
import Artifacts
import Foundation
import NN
import RoMa

/// `roma-bench resize`: RoMa v2's input resizes of a decoded photo pair against torch's, value
/// by value to the bit. torch's side comes from scripts/reference/romav2_resize_reference.py,
/// which resizes through romav2's own `_load_image`; a single differing value can flip a bf16
/// input of the descriptor (docs/roma2.md, "Each op in torch's order").
struct ResizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resize",
        abstract: "RoMa v2's antialiased bicubic input resize vs torch's, bit for bit (files from scripts/reference/romav2_resize_reference.py).")

    @Option(help: "Folder holding A.decoded and B.decoded.")
    var dir = "runs/roma2"

    @Option(help: "torch's resizes (romav2_resize_reference.py --out).")
    var reference = "runs/roma2_resize/torch_resize.safetensors"

    func run() throws {
        let ref = try Artifact.read(reference)
        var differing = 0
        for label in ["A", "B"] {
            let image = try DecodedImage.read("\(dir)/\(label).decoded")
            for name in ref.tensorNames.filter({ $0.hasPrefix(label + ".") }).sorted() {
                let shape = try ref.tensor(name).shape
                let ours = try RoMaV2Model.image(image, size: .init(height: shape[2], width: shape[3])).array
                let theirs = try ref.floats(name)
                let n = zip(ours, theirs).filter { $0.bitPattern != $1.bitPattern }.count
                let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
                print("\(label) \(image.coarse.width)×\(image.coarse.height) → \(shape[3])×\(shape[2]): \(n) of \(theirs.count) values differ (max \(worst))")
                differing += n
            }
        }
        if differing > 0 { throw ValidationError("\(differing) values differ from torch's resize") }
    }
}
