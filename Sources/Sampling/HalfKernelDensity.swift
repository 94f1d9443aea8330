import Foundation
import Parallel

/// romav2 2.0.1's `kde(x, std=0.1, half=True)` as torch 2.x evaluates it on CPU, value
/// for value: the points are rounded to float16, `cdist` takes its matrix-product path
/// (|a|² + |b|² − 2a·b, rounded to float16, clamped at 0, square-rooted), and every
/// later step (`** 2`, `/ (2σ²)`, `exp`, the row sum) rounds to float16.
///
/// Float16 is coarse here: |a|² near 2 has a step of 2⁻¹⁰, so the self term alone can
/// come out at 0.8 instead of 1, and densities differ from the float32 formula by a
/// few percent — enough to move candidates across the "density < 10" cut. Matching
/// romav2 means reproducing that, not the exact kernel.
///
/// Each pair's squared distance is computed in float32 from float16 inputs (products
/// of float16 values are exact in float32), rounded to float16 in SIMD registers, and
/// everything after it depends only on that float16 value: one lookup in a table built
/// once from the same chain of roundings. Rows are summed in double and rounded to
/// float32 then float16, as torch's float accumulation then cast; tile pairs whose
/// bounding boxes are further apart than `cutoffDistance` are skipped, where every
/// term is exactly zero in float16 (see there).
public enum HalfKernelDensity {
    /// Float16 densities (as Float) of `points` (n × 4, row-major), in input order.
    public static func densities(points: [Float], std: Float = SamplingOptions.Reference.kernelStd,
                                 threads: Int = Threads.count) -> [Float] {
        precondition(points.count % 4 == 0, "points must be n × 4")
        let n = points.count / 4
        guard n > 0 else { return [] }
        let table = KernelTable(std: std)
        let half = points.map(roundedToHalf)
        // Norms as torch's x.pow(2).sum(-1): each square rounded to float16, summed in float32, rounded.
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var s: Float = 0
            for d in 0..<4 { s += roundedToHalf(half[4 * i + d] * half[4 * i + d]) }
            norms[i] = roundedToHalf(s)
        }

        let order = KernelDensity.mortonOrder(points: half, count: n)
        let tileSize = KernelDensity.tileSize
        let tiles = (n + tileSize - 1) / tileSize
        // Tile-major, dimension-major (x0…x3, norm) with padding lanes flagged by an infinite norm.
        var packed = [Float](repeating: 0, count: tiles * 5 * tileSize)
        for i in stride(from: 4 * tileSize, to: packed.count, by: 5 * tileSize) {
            for lane in 0..<tileSize { packed[i + lane] = .infinity }
        }
        var lower = [Float](repeating: .infinity, count: tiles * 4), upper = [Float](repeating: -.infinity, count: tiles * 4)
        for (slot, source) in order.enumerated() {
            let tile = slot / tileSize, lane = slot % tileSize
            for d in 0..<4 {
                let v = half[4 * source + d]
                packed[(tile * 5 + d) * tileSize + lane] = v
                lower[tile * 4 + d] = min(lower[tile * 4 + d], v)
                upper[tile * 4 + d] = max(upper[tile * 4 + d], v)
            }
            packed[(tile * 5 + 4) * tileSize + lane] = norms[source]
        }
        let cutoff = cutoffDistance(std: std)
        let neighbours = KernelDensity.neighbouringTiles(lower: lower, upper: upper, tiles: tiles, cutoff: cutoff)

        var sorted = [Float](repeating: 0, count: tiles * tileSize)
        packed.withUnsafeBufferPointer { input in
            sorted.withUnsafeMutableBufferPointer { out in
                let source = SendableConstPointer(input.baseAddress!), output = SendablePointer(out.baseAddress!)
                let lists = neighbours
                parallelFor(tiles, threads: threads) { a in
                    rowSums(tile: a, neighbours: lists[a], packed: source.base, table: table, into: output.base)
                }
            }
        }
        var density = [Float](repeating: 0, count: n)
        for (slot, source) in order.enumerated() { density[source] = sorted[slot] }
        return density
    }

    /// Bounding boxes further apart than this hold only exact zeros: a term is zero in
    /// float16 once exp(−r/(2σ²)) < 2⁻²⁵ (half the smallest subnormal), i.e. r > 17.33·2σ²
    /// (0.347 at σ = 0.1); at 0.64² = 0.41 apart the float16 squared distance, whose
    /// cancellation error is below 0.01 for coordinates in [−1, 1], is still past it.
    static func cutoffDistance(std: Float) -> Float { 6.4 * std }

    private static func rowSums(tile a: Int, neighbours: [Int], packed: UnsafePointer<Float>, table: KernelTable,
                                into out: UnsafeMutablePointer<Float>) {
        typealias Lanes = SIMD16<Float>
        let tileSize = KernelDensity.tileSize
        let vectors = tileSize / Lanes.scalarCount
        for lane in 0..<tileSize {
            let row = packed + a * 5 * tileSize
            let norm = row[4 * tileSize + lane]
            guard norm.isFinite else { continue }
            let m0 = -2 * row[lane], m1 = -2 * row[tileSize + lane], m2 = -2 * row[2 * tileSize + lane], m3 = -2 * row[3 * tileSize + lane]
            // Every term is a float16 value in [0, 1], a multiple of 2⁻²⁴: summed as integer
            // units of 2⁻²⁴ the row sum is exact, so it equals, bit for bit, the running
            // double sum it replaces (exact too: it stays far below 2⁵³ units).
            var units = 0
            table.units.withUnsafeBufferPointer { units32 in
                for b in neighbours {
                    let base = packed + b * 5 * tileSize
                    for v in 0..<vectors {
                        func load(_ d: Int) -> Lanes {
                            // A raw load: SIMD's init from a buffer is a generic element-by-element copy.
                            UnsafeRawPointer(base + d * tileSize + v * Lanes.scalarCount).loadUnaligned(as: Lanes.self)
                        }
                        // torch's row [−2a, |a|², 1] times column [b, 1, |b|²].
                        var r = load(0) * m0
                        r += load(1) * m1
                        r += load(2) * m2
                        r += load(3) * m3
                        r += norm
                        r += load(4)
                        let rounded = roundedToHalf(r)
                        guard any(rounded .< table.zeroFrom) else { continue }
                        let index = KernelTable.indices(rounded, zeroFrom: table.zeroFrom)
                        for k in 0..<Lanes.scalarCount { units += Int(units32[Int(index[k])]) }
                    }
                }
            }
            out[a * tileSize + lane] = roundedToHalf(Float(Double(units) * 0x1p-24))
        }
    }
}

/// The kernel's value for every float16 squared distance r below the first one giving
/// zero: half(exp(half(−half(half(√r)²) / (2σ²)))), each step as torch computes it on
/// float16 (in float32, then rounded).
struct KernelTable: Sendable {
    let values: [Float]
    /// Squared distances from here on give an exact zero.
    let zeroFrom: Float

    init(std: Float) {
        // romav2 passes σ = 0.1 as a Python float: 2σ² = 0.020000000000000004 in double, then
        // float32 for the float16 division. Widening the Float 0.1 instead would round to
        // the next float32 up and shift some terms by a float16 step.
        let sigma = Double("\(std)") ?? Double(std)
        let scale = Float(2 * sigma * sigma)
        var values: [Float] = []
        var bits: UInt16 = 0
        while true {
            let r = Float(Float16(bitPattern: bits))
            let d = Float(Float16(r.squareRoot()))
            let s = Float(Float16(d * d))
            let t = Float(Float16(-s / scale))
            let e = Float(Float16(Float(Foundation.exp(Double(t)))))
            if e == 0 { zeroFrom = r; break }
            values.append(e)
            bits += 1
        }
        // The entry at `zeroFrom`'s index: every r from there on gives 0.
        self.values = values + [0]
        units = self.values.map { Int32($0 * 0x1p24) }
    }

    /// `values` in units of 2⁻²⁴ (float16's smallest step), exact integers.
    let units: [Int32]

    /// `values`' indices of float16 values held in Floats (negative ones count as 0, those
    /// from `zeroFrom` on point at the final 0), as `subscript` computes them, 16 at a time.
    @inline(__always)
    static func indices(_ r: SIMD16<Float>, zeroFrom: Float) -> SIMD16<Int32> {
        let clamped = r.replacing(with: 0, where: .!(r .> 0)).replacing(with: zeroFrom, where: r .>= zeroFrom)
        // Bit arithmetic only (Swift's SIMD float-to-integer conversion is a slow generic path):
        // a normal half's index is its float's top bits rebiased; a subnormal one, k·2⁻²⁴ with
        // k < 1024, is k, read from the low bits of k + 2²³ in float32 (exact).
        let normal = (unsafeBitCast(clamped, to: SIMD16<Int32>.self) &>> 13) &- (112 << 10)
        let subnormal = unsafeBitCast(clamped * 0x1p24 + 0x1p23, to: SIMD16<Int32>.self) &- 0x4B00_0000
        return normal.replacing(with: subnormal, where: clamped .< 0x1p-14)
    }

    /// The kernel at a non-negative float16 value `r` < `zeroFrom`, held in a Float.
    @inline(__always)
    subscript(r: Float) -> Float {
        // Float16 bit pattern of r: subnormal halves are multiples of 2⁻²⁴; normal ones
        // keep the float's top ten mantissa bits and rebias the exponent (127 → 15).
        let index = r < 0x1p-14 ? Int(r * 0x1p24) : Int(r.bitPattern >> 13) - (112 << 10)
        return values[index]
    }
}

/// Rounds to the nearest float16 value (ties to even), kept in a Float: adding a
/// constant whose unit in the last place is the float16 step at that magnitude
/// rounds the low bits away. Covers the normal and subnormal float16 range; the
/// values here stay far below float16's overflow.
@inline(__always)
func roundedToHalf(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let exponent = (unsafeBitCast(x, to: SIMD16<Int32>.self) &>> 23) & 0xFF
    // Float16's smallest normal exponent is 2⁻¹⁴ (biased 113); below it the step is fixed at 2⁻²⁴.
    // max(exponent, 113) by shifts and masks: an integer lane comparison (`.<`, `replacing`)
    // compiles to a lane-by-lane loop through memory here.
    let below = exponent &- 113
    let clamped = exponent &- (below & (below &>> 31))
    let magic = unsafeBitCast(((clamped &+ 13) &<< 23) | 0x40_0000, to: SIMD16<Float>.self)
    return (x + magic) - magic
}

@inline(__always)
func roundedToHalf(_ x: Float) -> Float { Float(Float16(x)) }
