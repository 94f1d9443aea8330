import NN

/// The ImageNet channel statistics every RoMa backbone normalises its input with
/// (torchvision's values, as romatch and romav2 use them).
enum ImageNet {
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]
}

/// `[1, 3, H, W]` in [0, 1] → `(x − mean) / std` per channel, in float32 (romav2's `imagenet`).
func imagenetNormalised(_ image: Tensor) -> Tensor {
    let plane = image.count / 3
    let out = Tensor(uninitialized: image.shape)
    for c in 0..<3 {
        let src = image.pointer + c * plane, dst = out.pointer + c * plane
        let (m, s) = (ImageNet.mean[c], ImageNet.std[c])
        for i in 0..<plane { dst[i] = (src[i] - m) / s }
    }
    return out
}
