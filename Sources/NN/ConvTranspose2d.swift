import CLinearAlgebra
import Parallel

/// torch.nn.functional.conv_transpose2d on NCHW input, groups 1, dilation 1, no output padding.
/// x [N, Cin, H, W], weight [Cin, Cout, kh, kw] (torch's layout for transposed convolutions),
/// bias [Cout] → [N, Cout, Ho, Wo] with Ho = (H − 1)·stride − 2·padding + kh (likewise Wo).
///
/// Runs as one GEMM per image, columns = Wᵀ·x ([Cout·kh·kw, H·W]), then a col2im that adds
/// every column into the output pixel it lands on. When kernel == stride and padding is 0
/// (DPT's upsampling layers) no two taps land on the same pixel, so col2im is a scatter.
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                            into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let op = "convTranspose2d"
    try check(x.rank == 4, op, "input must be [N, C, H, W], got \(x.shape)")
    try check(weight.rank == 4, op, "weight must be [Cin, Cout, kh, kw], got \(weight.shape)")
    let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (cout, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    try check(weight.shape[0] == cin, op, "weight \(weight.shape) expects \(weight.shape[0]) input channels, input has \(cin)")
    try check(stride >= 1 && padding >= 0, op, "stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
    if let bias { try check(bias.shape == [cout], op, "bias \(bias.shape), expected [\(cout)]") }
    let ho = (h - 1) * stride - 2 * padding + kh, wo = (w - 1) * stride - 2 * padding + kw
    try check(h >= 1 && w >= 1 && ho >= 1 && wo >= 1, op, "input \(x.shape) with kernel \(kh)x\(kw), stride \(stride), padding \(padding) gives an empty output")
    let out = try makeOutput(op, [n, cout, ho, wo], into: into, workspace: workspace)
    try check(!out.overlaps(x), op, "output must not overlap the input")

    let rows = cout * kh * kw, pixels = h * w
    let columns = scratch(rows * pixels, workspace)
    defer { releaseScratch(columns, workspace) }
    let plane = ho * wo
    for image in 0..<n {
        GEMM.sgemm(transA: true, m: rows, n: pixels, k: cin, a: weight.pointer, lda: rows,
                   b: x.pointer + image * cin * pixels, ldb: pixels, c: columns.base, ldc: pixels)
        let src = SendablePointer(columns.base), dst = SendablePointer(out.pointer + image * cout * plane)
        let b = bias.map { SendablePointer($0.pointer) }
        // One output channel per task: its kh·kw column rows add only into its own plane.
        parallelFor(cout) { co in
            let o = dst.base + co * plane
            o.update(repeating: b?[co] ?? 0, count: plane)
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let col = src.base + ((co * kh + ky) * kw + kx) * pixels
                    for iy in 0..<h {
                        let oy = iy * stride - padding + ky
                        guard oy >= 0 && oy < ho else { continue }
                        let row = o + oy * wo, colRow = col + iy * w
                        for ix in 0..<w {
                            let ox = ix * stride - padding + kx
                            if ox >= 0 && ox < wo { row[ox] += colRow[ix] }
                        }
                    }
                }
            }
        }
    }
    return out
}
