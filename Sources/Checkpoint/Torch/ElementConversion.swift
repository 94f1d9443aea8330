import Foundation

/// Widening of stored elements to Float32. Half and bfloat16 convert exactly;
/// float64 rounds to nearest; integers convert as Float(x) (exact below 2^24,
/// which covers `num_batches_tracked` in practice).
enum ElementConversion {
    /// Elements `elements` of little-endian storage `bytes` of `type`, as Float.
    static func floats(_ bytes: Data, type: ElementType, elements: Range<Int>, file: String) throws -> [Float] {
        let size = type.byteSize
        guard elements.lowerBound >= 0, elements.upperBound * size <= bytes.count else {
            throw CheckpointError(file: file, "storage of \(bytes.count) bytes is too short for elements \(elements)")
        }
        let n = elements.count
        var out = [Float](repeating: 0, count: n)
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let start = raw.baseAddress! + elements.lowerBound * size
            out.withUnsafeMutableBufferPointer { dst in
                switch type {
                case .float32:
                    memcpy(dst.baseAddress!, start, n * 4)
                case .float16:
                    for i in 0..<n { dst[i] = ElementConversion.halfToFloat(start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
                case .bfloat16:
                    for i in 0..<n { dst[i] = Float(bitPattern: UInt32(start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
                case .float64:
                    for i in 0..<n { dst[i] = Float(start.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
                case .int64:
                    for i in 0..<n { dst[i] = Float(start.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
                case .int32:
                    for i in 0..<n { dst[i] = Float(start.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
                case .int16:
                    for i in 0..<n { dst[i] = Float(start.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
                case .int8:
                    for i in 0..<n { dst[i] = Float(start.loadUnaligned(fromByteOffset: i, as: Int8.self)) }
                case .uint8, .bool:
                    for i in 0..<n { dst[i] = Float(start.loadUnaligned(fromByteOffset: i, as: UInt8.self)) }
                }
            }
        }
        return out
    }

    /// IEEE 754 binary16 to binary32, subnormals, infinities and NaN included.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Subnormal (or zero): mantissa · 2^-24, exactly representable in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }
}
