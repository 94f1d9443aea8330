/// A strided view of a flat storage, as torch describes tensors: element
/// (i0, i1, …) sits at `offset + Σ ik·stride_k`. Transposes, slices and
/// `expand`ed tensors are all such views; reading one copies it into row-major order.
struct StridedView {
    let shape: [Int]
    let strides: [Int]
    let offset: Int

    /// Row-major strides for `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = step
            step *= shape[d]
        }
        return strides
    }

    var count: Int { shape.reduce(1, *) }

    /// True when the view is the row-major block starting at `offset`.
    /// Dimensions of size 1 may carry any stride.
    var isContiguous: Bool {
        let want = Self.contiguousStrides(shape)
        return zip(zip(shape, strides), want).allSatisfy { pair, w in pair.0 == 1 || pair.1 == w }
    }

    /// The storage elements the view touches, lowest to highest (non-empty views only).
    var storageRange: Range<Int> {
        var last = offset
        for (n, s) in zip(shape, strides) where n > 0 { last += (n - 1) * s }
        return offset..<(last + 1)
    }

    /// Copies the view out of `source`, whose element 0 is storage element `base`.
    func gather(_ source: [Float], base: Int) -> [Float] {
        let n = count
        guard n > 0 else { return [] }
        var out = [Float](repeating: 0, count: n)
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        var position = offset - base
        // The innermost dimension is a tight loop; the others advance like an odometer.
        let innerCount = rank > 0 ? shape[rank - 1] : 1
        let innerStride = rank > 0 ? strides[rank - 1] : 0
        var written = 0
        out.withUnsafeMutableBufferPointer { dst in
            source.withUnsafeBufferPointer { src in
                while written < n {
                    var p = position
                    for _ in 0..<innerCount {
                        dst[written] = src[p]
                        written += 1
                        p += innerStride
                    }
                    // Carry into the outer dimensions.
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        position += strides[d]
                        if index[d] < shape[d] { break }
                        position -= strides[d] * shape[d]
                        index[d] = 0
                        d -= 1
                    }
                    if d < 0 { break }
                }
            }
        }
        return out
    }
}
