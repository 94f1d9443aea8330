import Artifacts
import Foundation

/// Safetensors weights, read lazily: opening parses only the JSON header; each
/// tensor's bytes are read from the file when asked for. (`Artifact.read`
/// copies every tensor into memory on open, right for small artifacts, not for
/// a gigabyte of weights.) The header is checked as strictly as the artifact
/// reader does: dtypes, shapes against byte ranges, ranges inside the file.
enum SafetensorsWeights {
    /// The format's own limit on the header size.
    static let maximumHeaderBytes: UInt64 = 100_000_000

    static func open(_ path: String) throws -> StateDict {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, "not a valid safetensors file: \(problem)") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CheckpointError(file: path, "cannot be opened for reading")
        }
        let fileSize = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        let lengthBytes = try handle.read(upToCount: 8) ?? Data()
        guard lengthBytes.count == 8 else { throw fail("shorter than its 8-byte header length") }
        let headerLength = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= maximumHeaderBytes, headerLength <= fileSize - 8 else {
            throw fail("header length \(headerLength) is beyond the \(fileSize)-byte file or the 100 MB limit (truncated?)")
        }
        let headerData = try handle.read(upToCount: Int(headerLength)) ?? Data()
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        if let key = JSONDuplicateKeys.first(in: headerData) {
            throw fail("header repeats the key '\(ArtifactError.excerpt(key))' (a tensor name or __metadata__ given twice)")
        }
        let dataStart = 8 + headerLength
        let dataSize = fileSize - dataStart

        var entries: [(key: String, info: TensorInfo, dtype: DType, range: Range<UInt64>)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let fields = value as? [String: Any],
                  let dtypeName = fields["dtype"] as? String, let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)' has no known dtype")
            }
            guard let shape = (fields["shape"] as? [NSNumber])?.map(\.intValue), shape.allSatisfy({ $0 >= 0 }),
                  let offsets = (fields["data_offsets"] as? [NSNumber])?.map(\.uint64Value), offsets.count == 2,
                  offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw fail("tensor '\(name)' has an invalid shape or byte range (truncated?)")
            }
            var bytes = UInt64(dtype.byteSize)
            for d in shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: UInt64(d))
                guard !overflow, product <= dataSize else { throw fail("tensor '\(name)' shape \(shape) needs more bytes than the file holds") }
                bytes = product
            }
            guard bytes == offsets[1] - offsets[0] else {
                throw fail("tensor '\(name)' shape \(shape) of \(dtype.rawValue) needs \(bytes) bytes, its range holds \(offsets[1] - offsets[0])")
            }
            entries.append((name, TensorInfo(dtype: elementType(dtype), shape: shape), dtype, (dataStart + offsets[0])..<(dataStart + offsets[1])))
        }
        // The JSON object has no order; file order is the order of the bytes.
        entries.sort { $0.range.lowerBound < $1.range.lowerBound }
        let store = SafetensorsStore(file: path, handle: handle,
                                     tensors: Dictionary(entries.map { ($0.key, ($0.dtype, $0.info.shape, $0.range)) }, uniquingKeysWith: { a, _ in a }))
        return StateDict(file: path, ordered: entries.map { ($0.key, $0.info) }, store: store)
    }

    /// Unsigned 16/32/64-bit integers have no torch storage class; they only need
    /// to count as integers for validation, and convert through `integers()`.
    static func elementType(_ dtype: DType) -> ElementType {
        switch dtype {
        case .float32: return .float32
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .float64: return .float64
        case .int64, .uint64, .uint32: return .int64
        case .int32: return .int32
        case .int16, .uint16: return .int16
        case .int8: return .int8
        case .uint8: return .uint8
        case .bool: return .bool
        }
    }
}

/// Reads one tensor's byte range and converts it with the Artifacts module's conversions.
final class SafetensorsStore: TensorStore, @unchecked Sendable {
    let file: String
    // One FileHandle shared by all reads: seek-then-read must not interleave.
    private let handle: FileHandle
    private let lock = NSLock()
    private let tensors: [String: (dtype: DType, shape: [Int], range: Range<UInt64>)]

    init(file: String, handle: FileHandle, tensors: [String: (dtype: DType, shape: [Int], range: Range<UInt64>)]) {
        self.file = file
        self.handle = handle
        self.tensors = tensors
    }

    deinit { try? handle.close() }

    func values(of key: String) throws -> [Float] {
        guard let t = tensors[key] else { throw CheckpointError(file: file, "no tensor '\(key)'") }
        let bytes: Data
        do {
            lock.lock()
            defer { lock.unlock() }
            try handle.seek(toOffset: t.range.lowerBound)
            bytes = try handle.read(upToCount: Int(t.range.count)) ?? Data()
        } catch {
            throw CheckpointError(file: file, "tensor '\(key)' cannot be read (\(error.localizedDescription))")
        }
        guard bytes.count == t.range.count else {
            throw CheckpointError(file: file, "tensor '\(key)': file ended after \(bytes.count) of \(t.range.count) bytes (truncated)")
        }
        let tensor = TensorData(dtype: t.dtype, shape: t.shape, bytes: bytes)
        if let floats = tensor.floats() { return floats }
        if let integers = tensor.integers() { return integers.map { Float($0) } }
        throw CheckpointError(file: file, "tensor '\(key)' has dtype \(t.dtype.rawValue), which does not convert to Float")
    }
}
