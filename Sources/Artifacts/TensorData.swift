import Foundation

/// One named tensor of an artifact: its element type, shape and raw little-endian bytes.
public struct TensorData: Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let bytes: Data

    public init(dtype: DType, shape: [Int], bytes: Data) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var count: Int { shape.reduce(1, *) }

    /// Elements as Float, converting from any floating-point storage type.
    public func floats() -> [Float]? {
        switch dtype {
        case .float32: return Self.load(bytes, as: Float.self)
        case .float64: return Self.load(bytes, as: Double.self).map { Float($0) }
        case .float16: return Self.load(bytes, as: UInt16.self).map { halfToFloat($0) }
        case .bfloat16: return Self.load(bytes, as: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
        default: return nil
        }
    }

    /// Elements as Double, converting from any floating-point storage type.
    public func doubles() -> [Double]? {
        if dtype == .float64 { return Self.load(bytes, as: Double.self) }
        return floats()?.map { Double($0) }
    }

    /// Elements as Int64 from any integer or bool storage type.
    public func integers() -> [Int64]? {
        switch dtype {
        case .bool, .uint8: return Self.load(bytes, as: UInt8.self).map { Int64($0) }
        case .int8: return Self.load(bytes, as: Int8.self).map { Int64($0) }
        case .int16: return Self.load(bytes, as: Int16.self).map { Int64($0) }
        case .uint16: return Self.load(bytes, as: UInt16.self).map { Int64($0) }
        case .int32: return Self.load(bytes, as: Int32.self).map { Int64($0) }
        case .uint32: return Self.load(bytes, as: UInt32.self).map { Int64($0) }
        case .int64: return Self.load(bytes, as: Int64.self)
        case .uint64: return Self.load(bytes, as: UInt64.self).map { Int64(truncatingIfNeeded: $0) }
        default: return nil
        }
    }

    /// Copies little-endian elements out of (possibly unaligned) bytes.
    static func load<T: FixedWidthInteger>(_ data: Data, as: T.Type) -> [T] {
        let n = data.count / MemoryLayout<T>.size
        var out = [T](repeating: 0, count: n)
        out.withUnsafeMutableBytes { dst in _ = data.copyBytes(to: dst) }
        return out.map { T(littleEndian: $0) }
    }

    static func load<T: BinaryFloatingPoint>(_ data: Data, as: T.Type) -> [T] {
        let n = data.count / MemoryLayout<T>.size
        var out = [T](repeating: 0, count: n)
        out.withUnsafeMutableBytes { dst in _ = data.copyBytes(to: dst) }
        return out  // every platform Swift runs on here is little-endian
    }

    static func bytes<T>(of values: [T]) -> Data {
        values.withUnsafeBytes { Data($0) }
    }
}

/// IEEE 754 half precision to single precision, subnormals included.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
}
