/// `roma.warp/3`'s compact encoding (`--warp-encoding compact`), and reading either form.
///
/// Exact: everything float32, 28 B a cell and direction (91.8 MB a pair at 1280²).
/// Compact, per direction:
/// - `warp_*`: as `roma.warp/2`'s compact warps, U16 fixed point over [−1, 1] when every
///   value lies there, else float32 as computed (romav2 does not clamp its warp; a value
///   outside is kept, not clamped away);
/// - `overlap_*`: U16 fractions of one, as `roma.warp/2`'s certainty (o = u / 65535);
/// - `precision_cholesky_*` (F16, H × W × 3) instead of `precision_*`: the lower Cholesky
///   factor (l00, l10, l11) of P = L·Lᵀ. Square roots halve the precision's dynamic range
///   (F16's 6.1e-5 … 65504 covers P from 3.7e-9 to 4.3e9 per px²) and the rebuilt matrix is
///   symmetric positive semi-definite by construction. A direction whose factor does not
///   fit F16 keeps float32 `precision_*`.
/// 12 B a cell and direction when the warp fits in [−1, 1] (39.3 MB at 1280²), else 16 B
/// (52.4 MB). Errors (half a step of each code): coordinates 1/65535 of the image's
/// half-size, overlap 7.6e-6, each precision entry 1e-3 of itself (F16's 2⁻¹¹ on each
/// factor, doubled by the products).
extension PrecisionWarp {
    /// The file's tensors in `encoding`.
    public func artifact(encoding: Warp.Encoding) -> Artifact {
        let compact = encoding == .compact
        var a = Artifact(schema: .warpOverlap)
        for (suffix, d) in [("ab", ab)] + (ba.map { [("ba", $0)] } ?? []) {
            if compact, d.warp.allSatisfy({ $0 >= -1 && $0 <= 1 }) {
                a.put("warp_\(suffix)", d.warp.map(Warp.coordinateCode), shape: [height, width, 2])
            } else {
                a.put("warp_\(suffix)", d.warp, shape: [height, width, 2])
            }
            // Out of [0, 1] (a faulty producer) stays float32, so the reader names the problem.
            if compact, d.overlap.allSatisfy({ $0 >= 0 && $0 <= 1 }) {
                a.put("overlap_\(suffix)", d.overlap.map(Warp.certaintyCode), shape: [height, width])
            } else {
                a.put("overlap_\(suffix)", d.overlap, shape: [height, width])
            }
            if compact, let factor = Self.choleskyHalf(d.precision) {
                a.put("precision_cholesky_\(suffix)", TensorData(dtype: .float16, shape: [height, width, 3],
                                                                 bytes: TensorData.bytes(of: factor.map { $0.bitPattern.littleEndian })))
            } else {
                a.put("precision_\(suffix)", d.precision, shape: [height, width, 2, 2])
            }
        }
        a.metadata["width_a"] = String(widthA)
        a.metadata["height_a"] = String(heightA)
        a.metadata["width_b"] = String(widthB)
        a.metadata["height_b"] = String(heightB)
        if let overlapThreshold { a.metadata[Self.overlapThresholdKey] = "\(overlapThreshold)" }
        return a
    }

    /// Each cell's (l00, l10, l11) with P = L·Lᵀ, L = [[l00, 0], [l10, l11]], in F16; nil when
    /// some factor is not finite in F16 (the caller keeps float32). Computed in double from the
    /// symmetric part; a negative pivot left by float32 rounding (P singular) counts as 0.
    static func choleskyHalf(_ precision: [Float]) -> [Float16]? {
        var factor = [Float16](repeating: 0, count: precision.count / 4 * 3)
        for i in 0..<(precision.count / 4) {
            let p00 = Double(precision[4 * i]), p10 = (Double(precision[4 * i + 1]) + Double(precision[4 * i + 2])) / 2
            let p11 = Double(precision[4 * i + 3])
            let l00 = max(p00, 0).squareRoot()
            let l10 = l00 > 0 ? p10 / l00 : 0
            let l11 = max(p11 - l10 * l10, 0).squareRoot()
            for (k, l) in [l00, l10, l11].enumerated() {
                let h = Float16(l)
                guard h.isFinite else { return nil }
                factor[3 * i + k] = h
            }
        }
        return factor
    }

    /// P = L·Lᵀ per cell from (l00, l10, l11), in float32, row-major.
    static func precision(cholesky l: [Float]) -> [Float] {
        var p = [Float](repeating: 0, count: l.count / 3 * 4)
        for i in 0..<(l.count / 3) {
            let (l00, l10, l11) = (l[3 * i], l[3 * i + 1], l[3 * i + 2])
            let off = l00 * l10
            (p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3]) = (l00 * l00, off, off, l10 * l10 + l11 * l11)
        }
        return p
    }

    /// The tensors one direction needs, under either encoding's names.
    static func tensorNames(_ suffix: String) -> [[String]] {
        [["warp_\(suffix)"], ["overlap_\(suffix)"], ["precision_\(suffix)", "precision_cholesky_\(suffix)"]]
    }

    /// `overlap_*`: U16 fractions (compact) or floats (exact).
    static func overlap(_ artifact: Artifact, _ name: String, shape: [Int]) throws -> [Float] {
        let t = try artifact.tensor(name, shape: shape)
        if t.dtype == .uint16 { return TensorData.load(t.bytes, as: UInt16.self).map { Float($0) / 65535 } }
        return try artifact.floats(name, shape: shape)
    }

    /// `precision_*` (exact) or `precision_cholesky_*` (compact), as 2×2 matrices.
    static func precision(_ artifact: Artifact, _ suffix: String, width: Int, height: Int) throws -> [Float] {
        let name = "precision_\(suffix)", compact = "precision_cholesky_\(suffix)"
        switch (artifact.has(name), artifact.has(compact)) {
        case (true, false): return try artifact.floats(name, shape: [height, width, 2, 2])
        case (false, true): return precision(cholesky: try artifact.floats(compact, shape: [height, width, 3]))
        case (true, true): throw ArtifactError(file: artifact.source, "has both '\(name)' and '\(compact)': a warp holds one form of each precision")
        case (false, false): throw ArtifactError(file: artifact.source, "missing tensor '\(name)' (or its compact form '\(compact)')")
        }
    }
}
