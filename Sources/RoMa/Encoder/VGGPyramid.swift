import NN

/// VGG19-BN `features[:40]`: four blocks of 3×3 conv + BN + ReLU (2, 2, 4, 4
/// convolutions) separated by 2×2 max-pools. The pyramid holds each block's
/// output before its pool: strides 1, 2, 4, 8. BN is folded into the convs.
/// Fewer widths keep that many leading blocks: RoMa v2's fine features are
/// `features[:27]`, strides 1, 2, 4 (its trailing max-pool feeds nothing).
struct VGGPyramid: Sendable {
    /// Convolutions per block, batch norm folded in.
    let stages: [[Conv2d]]

    /// At `.bf16` the batch norms stay apart from the convs (`Conv2d.fold`).
    init(_ r: LayerReader, widths: [Int], precision: Precision = .fp32) throws {
        precondition((1...4).contains(widths.count))
        var stages: [[Conv2d]] = []
        var index = 0, inC = 3
        for (width, count) in zip(widths, [2, 2, 4, 4]) {
            var convs: [Conv2d] = []
            for _ in 0..<count {
                var conv = try r("\(index)").conv(out: width, in: inC, kernel: 3, padding: 1)
                conv.precision = precision
                try conv.fold(try r("\(index + 1)").batchNorm(width))
                // The ReLU after each conv + BN, applied in place on the conv's output.
                conv.fusedReLU = true
                // fp32 Winograd layers: filter transforms once here, not per call (75 MB for RoMa v1's VGG19).
                conv.precomputeWinograd()
                convs.append(conv)
                index += 3
                inC = width
            }
            index += 1 // the max-pool
            stages.append(convs)
        }
        self.stages = stages
    }

    /// Features `[1, C, H/s, W/s]` at strides s = 1, 2, 4(, 8), keyed by stride.
    ///
    ///
    /// Activations no level keeps (and the Winograd scratch) go back to `workspace` (a
    /// fresh one when nil) as soon as they are dead, so later layers, and later calls given
    /// the same workspace, write into pages already mapped instead of faulting fresh ones
    /// in: clearing fresh pages was 61 % of VGG's CPU samples on A's coarse image before
    /// (docs/runtime.md, "VGG's 3×3 convolutions").
    ///
    /// `consume`, when given, sees each level (stride, features) as soon as nothing in VGG
    /// reads it any more (after the next stage's max-pool; the last level at the end). When
    /// it returns true the level is done with: it is left out of the result and its buffer
    /// goes back to `workspace`, so the next stage's convolutions write into it instead of
    /// fresh pages (RoMa's projections take each level there).
    func callAsFunction(_ image: Tensor, workspace given: Workspace? = nil,
                        consume: ((Int, Tensor) throws -> Bool)? = nil) throws -> [Int: Tensor] {
        let workspace = given ?? Workspace()
        var pyramid: [Int: Tensor] = [:]
        func release(_ stride: Int) throws {
            guard let consume, let level = pyramid[stride], try consume(stride, level) else { return }
            pyramid[stride] = nil
            workspace.recycle(level)
        }
        var x = image
        var xIsScratch = false   // x came from `workspace` and is not a pyramid level
        for (i, convs) in stages.enumerated() {
            if i > 0 {
                x = try StageClock.measure("vgg: max-pool") { try maxPool2x2(x, workspace: workspace) }
                xIsScratch = true
                try release(1 << (i - 1))
            }
            for conv in convs {
                let y = try StageClock.measure("vgg: conv + relu") { try conv(x, workspace: workspace) }
                if xIsScratch { workspace.recycle(x) }
                x = y
                xIsScratch = true
            }
            pyramid[1 << i] = x
            xIsScratch = false
        }
        try release(1 << (stages.count - 1))
        return pyramid
    }
}
