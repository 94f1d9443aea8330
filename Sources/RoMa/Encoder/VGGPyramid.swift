/// VGG19-BN `features[:40]`: four blocks of 3×3 conv + BN + ReLU (2, 2, 4, 4
/// convolutions) separated by 2×2 max-pools. The pyramid holds each block's
/// output before its pool: strides 1, 2, 4, 8. BN is folded into the convs.
struct VGGPyramid: Sendable {
    /// Convolutions per block, batch norm folded in.
    let stages: [[Conv2d]]

    init(_ r: LayerReader, widths: [Int]) throws {
        precondition(widths.count == 4)
        var stages: [[Conv2d]] = []
        var index = 0, inC = 3
        for (width, count) in zip(widths, [2, 2, 4, 4]) {
            var convs: [Conv2d] = []
            for _ in 0..<count {
                var conv = try r("\(index)").conv(out: width, in: inC, kernel: 3, padding: 1)
                conv.fold(try r("\(index + 1)").batchNorm(width))
                convs.append(conv)
                index += 3
                inC = width
            }
            index += 1 // the max-pool
            stages.append(convs)
        }
        self.stages = stages
    }

    /// Features at strides 1, 2, 4, 8, keyed by stride.
    func callAsFunction(_ image: FeatureMap) -> [Int: FeatureMap] {
        var pyramid: [Int: FeatureMap] = [:]
        var x = image
        for (i, convs) in stages.enumerated() {
            if i > 0 { x = StageClock.measure("vgg: max-pool") { maxPool2x2(x) } }
            for conv in convs {
                x = StageClock.measure("vgg: conv") { conv(x) }
                StageClock.measure("vgg: relu") { relu(&x) }
            }
            pyramid[1 << i] = x
        }
        return pyramid
    }
}
