import Foundation
import Parallel

/// Gaussian kernel density of 4-D points at themselves:
/// density[i] = Σ_j exp(−|p_i − p_j|² / (2σ²)), self term included (so ≥ 1),
/// as the reference's `kde` (romatch/utils/kde.py) with `down = None`.
///
/// The work is n² kernel evaluations (4·10⁸ at 20 000 points), dominated by the
/// exponential, so the kernel computes distances directly in SIMD registers rather
/// than through sgemm: with only four coordinates a GEMM would save almost nothing
/// and would need an n × n (or blocked) scratch matrix plus a second pass for exp.
///
/// Points are reordered along a 4-D Morton curve and grouped into tiles of
/// `tileSize`; a tile pair whose bounding boxes are further apart than
/// `cutoffDistance(std:)` is skipped, because every term it would add is below
/// `negligibleTerm`. Each row's sum runs over tiles in a fixed order, so results do
/// not depend on the thread count.
public enum KernelDensity {
    /// Kernel terms below this are treated as zero when whole tiles are that far
    /// apart. At 20 000 points the total dropped is < 2·10⁻⁵ per density, against a
    /// density of at least 1 and the reference's own half-precision evaluation.
    public static let negligibleTerm: Float = 1e-9
    static let tileSize = 64
    typealias Lanes = SIMD16<Float>
    static let vectorsPerTile = tileSize / Lanes.scalarCount

    /// Distance beyond which a kernel term is below `negligibleTerm`.
    static func cutoffDistance(std: Float) -> Float {
        (2 * std * std * -logf(negligibleTerm)).squareRoot()
    }

    /// Densities of `points` (n × 4, row-major), in the input order.
    /// Throws nothing: shapes are checked by the caller (`precondition` guards a
    /// programming error, not user input).
    public static func densities(points: [Float], std: Float, threads: Int = Threads.count) -> [Float] {
        precondition(points.count % 4 == 0, "points must be n × 4")
        precondition(std > 0)
        let n = points.count / 4
        guard n > 0 else { return [] }

        let order = mortonOrder(points: points, count: n)
        let tiles = (n + tileSize - 1) / tileSize
        // Tile-major, dimension-major storage: tile t, dimension d, lanes in vectors.
        // Padding lanes sit far away so their kernel terms underflow to zero.
        let far: Float = 1e4
        var packed = [Lanes](repeating: Lanes(repeating: far), count: tiles * 4 * vectorsPerTile)
        var lower = [Float](repeating: .infinity, count: tiles * 4)
        var upper = [Float](repeating: -.infinity, count: tiles * 4)
        packed.withUnsafeMutableBufferPointer { vectors in
            let scalars = UnsafeMutableRawPointer(vectors.baseAddress!).assumingMemoryBound(to: Float.self)
            for (slot, source) in order.enumerated() {
                let tile = slot / tileSize, lane = slot % tileSize
                for d in 0..<4 {
                    let value = points[source * 4 + d]
                    scalars[(tile * 4 + d) * tileSize + lane] = value
                    lower[tile * 4 + d] = min(lower[tile * 4 + d], value)
                    upper[tile * 4 + d] = max(upper[tile * 4 + d], value)
                }
            }
        }

        // Which tiles each tile must visit: bounding-box distance within the cutoff.
        let cutoff = cutoffDistance(std: std)
        let neighbours = neighbouringTiles(lower: lower, upper: upper, tiles: tiles, cutoff: cutoff)

        let scale = -1 / (2 * std * std)
        var sortedDensity = [Float](repeating: 0, count: tiles * tileSize)
        packed.withUnsafeBufferPointer { vectors in
            sortedDensity.withUnsafeMutableBufferPointer { out in
                let input = SendableConstPointer(vectors.baseAddress!)
                let output = SendablePointer(out.baseAddress!)
                let lists = neighbours
                parallelFor(tiles, threads: threads) { a in
                    densityOfTile(a, neighbours: lists[a], vectors: input.base, scale: scale, into: output.base)
                }
            }
        }

        var density = [Float](repeating: 0, count: n)
        for (slot, source) in order.enumerated() { density[source] = sortedDensity[slot] }
        return density
    }

    /// For each tile, the tiles whose bounding box (`lower`/`upper`, tile-major, 4 per
    /// tile) lies within `cutoff` of its own, in index order.
    static func neighbouringTiles(lower: [Float], upper: [Float], tiles: Int, cutoff: Float) -> [[Int]] {
        var neighbours = [[Int]](repeating: [], count: tiles)
        for a in 0..<tiles {
            for b in 0..<tiles {
                var gap2: Float = 0
                for d in 0..<4 {
                    let gap = max(0, lower[b * 4 + d] - upper[a * 4 + d], lower[a * 4 + d] - upper[b * 4 + d])
                    gap2 += gap * gap
                }
                if gap2 <= cutoff * cutoff { neighbours[a].append(b) }
            }
        }
        return neighbours
    }

    /// Sums the kernel for every row of tile `a` over the tiles in `neighbours`.
    @inline(__always)
    private static func densityOfTile(_ a: Int, neighbours: [Int], vectors: UnsafePointer<Lanes>,
                                      scale: Float, into out: UnsafeMutablePointer<Float>) {
        let rowScalars = UnsafeRawPointer(vectors).assumingMemoryBound(to: Float.self)
        for lane in 0..<tileSize {
            let p0 = rowScalars[(a * 4 + 0) * tileSize + lane]
            let p1 = rowScalars[(a * 4 + 1) * tileSize + lane]
            let p2 = rowScalars[(a * 4 + 2) * tileSize + lane]
            let p3 = rowScalars[(a * 4 + 3) * tileSize + lane]
            var acc = Lanes(repeating: 0)
            for b in neighbours {
                let base = vectors + b * 4 * vectorsPerTile
                for v in 0..<vectorsPerTile {
                    let d0 = base[v] - p0
                    let d1 = base[vectorsPerTile + v] - p1
                    let d2 = base[2 * vectorsPerTile + v] - p2
                    let d3 = base[3 * vectorsPerTile + v] - p3
                    let r2 = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3
                    acc += fastExp(r2 * scale)
                }
            }
            out[a * tileSize + lane] = acc.sum()
        }
    }

    /// Visiting order that keeps nearby points in the same tile: 4-D Morton code of
    /// each point's coordinates quantised to 16 levels over their range.
    static func mortonOrder(points: [Float], count n: Int) -> [Int] {
        var lo = [Float](repeating: .infinity, count: 4), hi = [Float](repeating: -.infinity, count: 4)
        for i in 0..<n {
            for d in 0..<4 {
                lo[d] = min(lo[d], points[i * 4 + d])
                hi[d] = max(hi[d], points[i * 4 + d])
            }
        }
        let levels: Float = 16
        var codes = [UInt32](repeating: 0, count: n)
        for i in 0..<n {
            var code: UInt32 = 0
            for d in 0..<4 {
                let span = hi[d] - lo[d]
                let q = span > 0 ? UInt32(min(levels - 1, (points[i * 4 + d] - lo[d]) / span * levels)) : 0
                for bit in 0..<4 where q & (1 << bit) != 0 { code |= 1 << UInt32(bit * 4 + d) }
            }
            codes[i] = code
        }
        return (0..<n).sorted { codes[$0] != codes[$1] ? codes[$0] < codes[$1] : $0 < $1 }
    }
}

/// exp(x) for x ≤ 0 on 16 lanes: x = n·ln 2 + r with integer n and |r| ≤ ln 2 / 2
/// (ln 2 split in two parts so n·ln 2 is exact), e^r by a degree-5 polynomial
/// (relative error < 3·10⁻⁷, fitted by least squares on Chebyshev nodes), 2ⁿ
/// written into the exponent bits. Arguments below −87 are clamped, giving
/// ≈ 10⁻³⁸ instead of 0: harmless in a sum.
@inline(__always)
func fastExp(_ x0: SIMD16<Float>) -> SIMD16<Float> {
    var x = x0
    x.replace(with: -87, where: x .< -87)
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
    let magic: Float = 12_582_912
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    let r = x - n * 0.693_359_375 - n * -2.121_944_417e-4
    var p = SIMD16<Float>(repeating: 8.291_716_687e-3)
    p = p * r + 4.191_502_929e-2
    p = p * r + 1.666_766_256e-1
    p = p * r + 4.999_890_029e-1
    p = p * r + 9.999_996_424e-1
    p = p * r + 1.000_000_119
    let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(SIMD16<Float>(repeating: magic), to: SIMD16<Int32>.self)
    let bits = unsafeBitCast(p, to: SIMD16<Int32>.self) &+ (integer &<< 23)
    return unsafeBitCast(bits, to: SIMD16<Float>.self)
}

