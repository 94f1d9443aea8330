import ArgumentParser
import Artifacts
import ImageIO

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Read an image and resize it to the model's input sizes (roma.decoded/1).",
        discussion: """
        Reads JPEG/PNG without applying EXIF orientation, converts grayscale and alpha \
        images to RGB, rejects 16-bit images, and resizes with Pillow's bicubic filter \
        exactly as the reference (romatch 0.1.2) does.
        """
    )

    @Argument(help: "Image file (JPEG or PNG).")
    var image: String

    @Option(name: .shortAndLong, help: "Output artifact path (.safetensors).")
    var output: String

    @Option(help: "Coarse-pass input size, WxH or a single side; multiples of 14.")
    var coarse: String = "560x560"

    @Option(help: "Upsampled-pass input size, WxH or a single side, or 'none'.")
    var upsampled: String = "864x864"

    @Option(help: "'tiny' or 'roma2': keep the image's own size, no upsampled image (the input of `roma match --model tiny` / `--model roma2`, which resize it themselves as the references do); overrides --coarse and --upsampled.")
    var preset: String?

    func run() throws {
        var options = DecodeOptions()
        switch preset?.lowercased() {
        case nil, "roma":
            options.coarse = try parseSize(coarse, option: "--coarse")
            options.upsampled = upsampled.lowercased() == "none" ? nil : try parseSize(upsampled, option: "--upsampled")
        case "tiny":
            options = .tiny
        case "roma2":
            options = .roma2
        default:
            throw ValidationError("--preset '\(preset!)' is not one of: roma, tiny, roma2")
        }
        let decoded = try DecodeStage.run(imagePath: image, options: options)
        try decoded.artifact.write(to: output, record: options.record, inputs: [image])
        var line = "decoded \(image) (\(decoded.originalWidth)x\(decoded.originalHeight)) -> \(output): coarse \(decoded.coarse.width)x\(decoded.coarse.height)"
        if let up = decoded.upsampled { line += ", upsampled \(up.width)x\(up.height)" }
        print(line)
    }
}

/// Parses `WxH` or a single number meaning a square.
func parseSize(_ text: String, option: String) throws -> (width: Int, height: Int) {
    let parts = text.lowercased().split(separator: "x").map { Int($0) }
    if parts.count == 1, let side = parts[0], side > 0 { return (side, side) }
    if parts.count == 2, let w = parts[0], let h = parts[1], w > 0, h > 0 { return (w, h) }
    throw ValidationError("\(option) '\(text)' is not a size: use WxH (e.g. 560x560) or a single side")
}
