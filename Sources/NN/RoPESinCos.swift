import Foundation

/// sin and cos for the RoPE tables. torch computes them with MKL's VML, which is closed; its
/// values are reproduced where they are known (RoPETorchSinCos.swift, generated from torch at
/// every angle RoMa v2's DINOv3 produces) and replaced by the correctly rounded value
/// elsewhere, which is the same on every platform (glibc's `sinf`/`cosf` are not correctly
/// rounded and differ from other C libraries).
extension RotaryEmbedding {
    /// torch.sin of a float32 CPU tensor's element `x` where tabulated, else `roundedSin(x)`.
    public static func torchSin(_ x: Float) -> Float {
        lookup(x.bitPattern, torchSinAngles, torchSinValues) ?? roundedSin(x)
    }

    /// torch.cos of a float32 CPU tensor's element `x` where tabulated, else `roundedCos(x)`.
    public static func torchCos(_ x: Float) -> Float {
        lookup(x.bitPattern, torchCosAngles, torchCosValues) ?? roundedCos(x)
    }

    /// The correctly rounded float sin of `x`. A double sin rounded to float is correctly rounded
    /// unless it lands within a double ulp or so of a midpoint between two floats; the few floats
    /// where it comes within 4 ulps are settled from a table (sin is odd).
    public static func roundedSin(_ x: Float) -> Float {
        if let v = lookup(x.magnitude.bitPattern, nearMidpointSinAngles, nearMidpointSinValues) {
            return x.sign == .minus ? -v : v
        }
        return Float(Foundation.sin(Double(x)))
    }

    /// The correctly rounded float cos of `x` (as `roundedSin`; cos is even).
    public static func roundedCos(_ x: Float) -> Float {
        lookup(x.magnitude.bitPattern, nearMidpointCosAngles, nearMidpointCosValues) ?? Float(Foundation.cos(Double(x)))
    }
}

/// The value paired with `key` in an ascending key table, by binary search.
private func lookup(_ key: UInt32, _ keys: [UInt32], _ values: [UInt32]) -> Float? {
    var (lo, hi) = (0, keys.count)
    while lo < hi {
        let mid = (lo + hi) / 2
        if keys[mid] < key { lo = mid + 1 } else { hi = mid }
    }
    return lo < keys.count && keys[lo] == key ? Float(bitPattern: values[lo]) : nil
}
