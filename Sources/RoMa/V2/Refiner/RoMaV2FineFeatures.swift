import Checkpoint
import NN

/// RoMa v2's fine features (romav2's `VGG19BN(patch_size=4)`): ImageNet
/// normalisation, then torchvision's VGG19-BN `features[:27]`, keeping each
/// block's output before its max-pool, at strides 1, 2, 4 (64, 128, 256
/// channels at full width). romav2's autocast there is `device_type="cuda"`, so
/// on CPU it runs in fp32, as here.
struct RoMaV2FineFeatures: Sendable {
    static let fullWidths = [64, 128, 256]

    let widths: [Int]
    private let vgg: VGGPyramid

    /// Weights under `r` (the model reads them from `refiner_features.`): `layers.N.*`.
    init(_ r: LayerReader, widths: [Int] = fullWidths) throws {
        guard widths.count == 3 else { throw RoMaError("RoMa v2 fine features have 3 blocks, got widths \(widths)") }
        self.widths = widths
        vgg = try VGGPyramid(r("layers"), widths: widths)
    }

    /// The widths a state dict holds under `prefix`: output channels of the first
    /// convolution of each block (`layers.0`, `layers.7`, `layers.14`).
    static func widths(weights: StateDict, prefix: String = "refiner_features.") throws -> [Int] {
        try [0, 7, 14].map { i in
            let key = "\(prefix)layers.\(i).weight"
            guard let info = weights.info(key), info.shape.count == 4 else {
                throw RoMaError("\(weights.file): no 4-d tensor '\(key)' (RoMa v2 fine features)")
            }
            return info.shape[0]
        }
    }

    /// image `[1, 3, H, W]` in [0, 1] → `[stride: [1, H/s, W/s, C]]` (channels-last, as romav2) for s = 1, 2, 4.
    func callAsFunction(_ image: Tensor) throws -> [Int: Tensor] {
        guard image.rank == 4, image.shape[0] == 1, image.shape[1] == 3 else {
            throw RoMaError("RoMa v2 fine features: image must be [1, 3, H, W], got \(image.shape)")
        }
        let pyramid = try StageClock.measure("v2 fine features: vgg") { try vgg(imagenetNormalised(image)) }
        return try pyramid.mapValues { try permute($0, [0, 2, 3, 1]) }
    }
}
