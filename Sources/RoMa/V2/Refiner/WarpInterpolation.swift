import NN

/// romav2's `_interpolate_warp_and_confidence`: warp `[1, h, w, 2]` and confidence
/// `[1, h, w, C]` (channels-last) resized bilinearly (align_corners False) to
/// (height / stride, width / stride) of the images, integer division. With
/// `zeroOutPrecision` the precision channels (1…) are set to 0 first: romav2 does
/// so at stride 4 of the high-resolution pass, because the refiners' precision is
/// absolute and the first pass's belongs to another resolution (the overlap logit
/// is kept). romav2 zeroes the caller's tensor in place; this returns new tensors
/// and leaves the inputs alone.
func interpolateWarpAndConfidence(warp: Tensor, confidence: Tensor, height: Int, width: Int, stride: Int,
                                  zeroOutPrecision: Bool) throws -> (warp: Tensor, confidence: Tensor) {
    guard warp.rank == 4, warp.shape[3] == 2, confidence.rank == 4, Array(confidence.shape[0..<3]) == Array(warp.shape[0..<3]) else {
        throw RoMaError("RoMa v2 warp interpolation: warp \(warp.shape) and confidence \(confidence.shape) must be [N, h, w, 2] and [N, h, w, C]")
    }
    let size = (height: height / stride, width: width / stride)
    func resized(_ x: Tensor) throws -> Tensor {
        try permute(try interpolateBilinear(try permute(x, [0, 3, 1, 2]), size: size, alignCorners: false), [0, 2, 3, 1])
    }
    var c = confidence
    if zeroOutPrecision {
        c = confidence.copy()
        let k = c.shape[3], p = c.pointer
        for i in 0..<(c.count / k) {
            for j in 1..<max(1, k) { p[i * k + j] = 0 }
        }
    }
    return (try resized(warp), try resized(c))
}
