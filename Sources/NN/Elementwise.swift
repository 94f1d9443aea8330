import Parallel

/// a + b, where b broadcasts into a's shape (numpy rules, right-aligned: each of
/// b's dimensions equals a's or is 1; b may have fewer dimensions). E.g. a per-channel
/// bias over NCHW is b [1, C, 1, 1] or [C, 1, 1]. In place when `into` is `a`.
public func add(_ a: Tensor, _ b: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try binary("add", a, b, into: into, workspace: workspace) { $0 + $1 }
}

/// a · b elementwise, b broadcasting into a as in `add`. In place when `into` is `a`.
public func mul(_ a: Tensor, _ b: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try binary("mul", a, b, into: into, workspace: workspace) { $0 * $1 }
}

/// a − b elementwise, b broadcasting into a as in `add`. In place when `into` is `a`.
public func sub(_ a: Tensor, _ b: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try binary("sub", a, b, into: into, workspace: workspace) { $0 - $1 }
}

/// x · factor + offset for every element. In place when `into` is `x`.
public func scale(_ x: Tensor, by factor: Float, adding offset: Float = 0,
                  into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    let out = try makeOutput("scale", x.shape, into: into, workspace: workspace)
    try check(out.aliases(x) || !out.overlaps(x), "scale", "output must be the input itself or not overlap it")
    let src = SendablePointer(x.pointer), dst = SendablePointer(out.pointer)
    parallelChunks(x.count) { begin, end in
        for i in begin..<end { dst[i] = src[i] * factor + offset }
    }
    return out
}

/// DINOv2's LayerScale: x [..., C] · gamma [C]. In place when `into` is `x`.
public func layerScale(_ x: Tensor, gamma: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
    try check(x.rank >= 1 && gamma.shape == [x.dim(-1)], "layerScale", "gamma \(gamma.shape) does not match input \(x.shape)")
    return try mul(x, gamma, into: into, workspace: workspace)
}

private func binary(_ op: String, _ a: Tensor, _ b: Tensor, into: Tensor?, workspace: Workspace?,
                    _ f: @escaping @Sendable (Float, Float) -> Float) throws(NNError) -> Tensor {
    try check(b.rank <= a.rank, op, "\(b.shape) does not broadcast into \(a.shape)")
    let padded = [Int](repeating: 1, count: a.rank - b.rank) + b.shape
    try check(zip(a.shape, padded).allSatisfy { $1 == $0 || $1 == 1 }, op, "\(b.shape) does not broadcast into \(a.shape)")
    let out = try makeOutput(op, a.shape, into: into, workspace: workspace)
    try check(out.aliases(a) || !out.overlaps(a), op, "output must be the first operand itself or not overlap it")
    try check(!out.overlaps(b) || (out.aliases(b) && b.shape == a.shape), op, "output must not overlap the broadcast operand")
    let pa = SendablePointer(a.pointer), pb = SendablePointer(b.pointer), po = SendablePointer(out.pointer)
    if padded == a.shape || b.count == 1 {
        let same = padded == a.shape
        parallelChunks(a.count) { begin, end in
            if same { for i in begin..<end { po[i] = f(pa[i], pb[i]) } }
            else { let v = pb[0]; for i in begin..<end { po[i] = f(pa[i], v) } }
        }
        return out
    }
    // General case: walk a in rows of its last dimension; b's strides are 0 where it broadcasts.
    var strides = [Int](repeating: 0, count: a.rank)
    var acc = 1
    for dimIndex in stride(from: a.rank - 1, through: 0, by: -1) {
        strides[dimIndex] = padded[dimIndex] == 1 ? 0 : acc
        acc *= padded[dimIndex]
    }
    let shape = a.shape, last = a.dim(-1), lastStride = strides[a.rank - 1]
    let rows = last == 0 ? 0 : a.count / last
    let bStrides = strides
    parallelChunks(rows, grain: max(1, elementwiseGrain / max(1, last))) { begin, end in
        for r in begin..<end {
            var rest = r, offset = 0
            for dimIndex in stride(from: shape.count - 2, through: 0, by: -1) {
                offset += (rest % shape[dimIndex]) * bStrides[dimIndex]
                rest /= shape[dimIndex]
            }
            let rowA = pa.base + r * last, rowO = po.base + r * last, rowB = pb.base + offset
            if lastStride == 0 { let v = rowB[0]; for k in 0..<last { rowO[k] = f(rowA[k], v) } }
            else { for k in 0..<last { rowO[k] = f(rowA[k], rowB[k]) } }
        }
    }
    return out
}
