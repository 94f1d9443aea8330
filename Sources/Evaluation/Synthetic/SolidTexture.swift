import Geometry
import Parallel
/// Procedural colour defined on 3D points (a "solid" texture), so a surface point has
/// the same colour in every view. Several octaves of value noise, sharpened into
/// blotches with edges, give structure from a few pixels to a third of the image:
/// detail that dense and sparse matchers can lock on to at any scale.
enum SolidTexture {
    /// What a surface looks like. `repeated` and `low` defeat local descriptors: one
    /// motif tiled without variation (every keypoint has many lookalikes, so the
    /// ratio test rejects its matches), or a nearly uniform colour (few keypoints).
    enum Kind: String, Sendable {
        case natural, repeated, low
    }

    @inline(__always)
    static func lattice(_ x: Int, _ y: Int, _ z: Int, _ seed: UInt64) -> Double {
        let key = UInt64(bitPattern: Int64(x)) &* 0x9E37_79B9_7F4A_7C15
            ^ UInt64(bitPattern: Int64(y)) &* 0xC2B2_AE3D_27D4_EB4F
            ^ UInt64(bitPattern: Int64(z)) &* 0x1656_67B1_9E37_79F9 ^ seed
        return Double(SplitMix64.mix(key) >> 11) / Double(1 << 53)
    }

    /// Trilinear value noise in [0, 1] with a smooth fade between lattice points.
    static func valueNoise(_ p: Vector3, _ seed: UInt64) -> Double {
        let fx = p.x.rounded(.down), fy = p.y.rounded(.down), fz = p.z.rounded(.down)
        let x = Int(fx), y = Int(fy), z = Int(fz)
        func fade(_ t: Double) -> Double { t * t * t * (t * (t * 6 - 15) + 10) }
        let u = fade(p.x - fx), v = fade(p.y - fy), w = fade(p.z - fz)
        func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double { a + (b - a) * t }
        let x00 = lerp(lattice(x, y, z, seed), lattice(x + 1, y, z, seed), u)
        let x10 = lerp(lattice(x, y + 1, z, seed), lattice(x + 1, y + 1, z, seed), u)
        let x01 = lerp(lattice(x, y, z + 1, seed), lattice(x + 1, y, z + 1, seed), u)
        let x11 = lerp(lattice(x, y + 1, z + 1, seed), lattice(x + 1, y + 1, z + 1, seed), u)
        return lerp(lerp(x00, x10, v), lerp(x01, x11, v), w)
    }

    static func fractal(_ p: Vector3, _ seed: UInt64, octaves: Int) -> Double {
        var sum = 0.0, amplitude = 1.0, total = 0.0, q = p
        for octave in 0..<octaves {
            sum += amplitude * valueNoise(q, seed &+ UInt64(octave))
            total += amplitude
            amplitude *= 0.55
            q *= 2.03  // not exactly 2, so octaves do not share lattice lines
        }
        return sum / total
    }

    @inline(__always)
    static func smoothstep(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let t = min(max((x - a) / (b - a), 0), 1)
        return t * t * (3 - 2 * t)
    }

    /// Linear RGB in [0, 1] of `primitive`'s surface at `point`.
    static func color(at point: Vector3, of primitive: Primitive) -> Vector3 {
        let p = point * primitive.textureScale
        let seed = primitive.textureSeed
        switch primitive.texture {
        case .natural: break
        case .repeated: return tiles(p * 1.6, tint: primitive.tint)
        case .low:
            // Paint with a faint, slow variation: gradients far below what a detector keeps.
            return primitive.tint * (0.8 + 0.12 * fractal(p * 0.35, seed, octaves: 2))
        }
        let blotches = smoothstep(0.38, 0.62, fractal(p, seed, octaves: 5))
        let spots = smoothstep(0.55, 0.6, fractal(p * 2.7 + Vector3(17, 3, 11), seed &+ 101, octaves: 3))
        let grain = valueNoise(p * 9.0, seed &+ 202)
        let complement = Vector3(1, 1, 1) - primitive.tint
        var c = primitive.tint * (0.25 + 0.75 * blotches) + complement * (0.7 * spots)
        c *= 0.8 + 0.4 * (grain - 0.5)
        return c.clamped(lowerBound: Vector3(0, 0, 0), upperBound: Vector3(1, 1, 1))
    }

    /// Identical dots on a body-centred cubic lattice: any plane through it shows a
    /// periodic grid of discs (the nearest lattice point is ≤ ¼ cell off any plane),
    /// each ringed darker, on a plain ground.
    static func tiles(_ p: Vector3, tint: Vector3) -> Vector3 {
        func offset(_ q: Vector3) -> Double {
            let f = q - q.rounded(.down) - Vector3(0.5, 0.5, 0.5)
            return dot(f, f).squareRoot()
        }
        let d = min(offset(p), offset(p + Vector3(0.5, 0.5, 0.5)))
        let disc = 1 - smoothstep(0.3, 0.34, d)
        let ring = smoothstep(0.3, 0.34, d) * (1 - smoothstep(0.38, 0.42, d))
        let ground = tint * 0.85, accent = Vector3(1, 1, 1) - tint * 0.7
        return ground * (1 - disc - 0.6 * ring) + accent * disc
    }
}
