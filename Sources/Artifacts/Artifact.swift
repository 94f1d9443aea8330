import Foundation

/// A typed intermediate file: named tensors plus string metadata, stored as
/// safetensors so that `safetensors.numpy.load_file` opens it from Python.
///
/// The `schema` metadata key says what the file is (see `Schema`); readers ask for
/// the schema they expect and get an `ArtifactError` naming the file otherwise.
public struct Artifact: Sendable {
    public var metadata: [String: String]
    public private(set) var tensorNames: [String] = []
    private var tensors: [String: TensorData] = [:]
    /// Where the artifact came from, for error messages ("<memory>" until read or written).
    public var source: String

    public init(schema: Schema, source: String = "<memory>") {
        self.metadata = ["schema": schema.description]
        self.source = source
    }

    init(metadata: [String: String], orderedTensors: [(String, TensorData)], source: String) {
        self.metadata = metadata
        self.source = source
        for (name, tensor) in orderedTensors {
            tensorNames.append(name)
            tensors[name] = tensor
        }
    }

    public var schema: Schema? { metadata["schema"].flatMap(Schema.init(parsing:)) }

    // MARK: Writing tensors

    public mutating func put(_ name: String, _ tensor: TensorData) {
        precondition(tensor.count * tensor.dtype.byteSize == tensor.bytes.count, "tensor \(name): shape does not match byte count")
        precondition(name != "__metadata__", "reserved tensor name")
        if tensors[name] == nil { tensorNames.append(name) }
        tensors[name] = tensor
    }

    public mutating func put(_ name: String, _ values: [Float], shape: [Int]) {
        put(name, checked(values.count, shape, name, TensorData(dtype: .float32, shape: shape, bytes: TensorData.bytes(of: values))))
    }

    public mutating func put(_ name: String, _ values: [Double], shape: [Int]) {
        put(name, checked(values.count, shape, name, TensorData(dtype: .float64, shape: shape, bytes: TensorData.bytes(of: values))))
    }

    public mutating func put(_ name: String, _ values: [UInt8], shape: [Int]) {
        put(name, checked(values.count, shape, name, TensorData(dtype: .uint8, shape: shape, bytes: TensorData.bytes(of: values))))
    }

    public mutating func put(_ name: String, _ values: [UInt16], shape: [Int]) {
        put(name, checked(values.count, shape, name, TensorData(dtype: .uint16, shape: shape, bytes: TensorData.bytes(of: values.map { $0.littleEndian }))))
    }

    public mutating func put(_ name: String, _ values: [Int32], shape: [Int]) {
        put(name, checked(values.count, shape, name, TensorData(dtype: .int32, shape: shape, bytes: TensorData.bytes(of: values.map { $0.littleEndian }))))
    }

    public mutating func put(_ name: String, _ values: [Int64], shape: [Int]) {
        put(name, checked(values.count, shape, name, TensorData(dtype: .int64, shape: shape, bytes: TensorData.bytes(of: values.map { $0.littleEndian }))))
    }

    private func checked(_ count: Int, _ shape: [Int], _ name: String, _ tensor: TensorData) -> TensorData {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == count,
                     "tensor \(name): \(count) values do not fill shape \(shape)")
        return tensor
    }

    // MARK: Reading tensors

    public func has(_ name: String) -> Bool { tensors[name] != nil }

    /// The tensor `name`, whose shape must match `shape` where given (nil entries match any size).
    public func tensor(_ name: String, shape expected: [Int?]? = nil) throws -> TensorData {
        guard let t = tensors[name] else {
            throw ArtifactError(file: source, "missing tensor '\(name)' (has: \(ArtifactError.excerpt(tensorNames.joined(separator: ", "), limit: 200)))")
        }
        if let expected {
            let matches = expected.count == t.shape.count && zip(expected, t.shape).allSatisfy { $0 == nil || $0 == $1 }
            if !matches {
                let want = "[" + expected.map { $0.map(String.init) ?? "*" }.joined(separator: ", ") + "]"
                throw ArtifactError(file: source, "tensor '\(name)' has shape \(t.shape), expected \(want)")
            }
        }
        return t
    }

    /// Floating-point tensor as Float (F32, F64, F16 or BF16 storage).
    public func floats(_ name: String, shape: [Int?]? = nil) throws -> [Float] {
        let t = try tensor(name, shape: shape)
        guard let v = t.floats() else {
            throw ArtifactError(file: source, "tensor '\(name)' has dtype \(t.dtype.rawValue), expected a floating-point type")
        }
        return v
    }

    /// Floating-point tensor as Double (F32, F64, F16 or BF16 storage).
    public func doubles(_ name: String, shape: [Int?]? = nil) throws -> [Double] {
        let t = try tensor(name, shape: shape)
        guard let v = t.doubles() else {
            throw ArtifactError(file: source, "tensor '\(name)' has dtype \(t.dtype.rawValue), expected a floating-point type")
        }
        return v
    }

    /// U8 tensor as bytes.
    public func bytes(_ name: String, shape: [Int?]? = nil) throws -> [UInt8] {
        let t = try tensor(name, shape: shape)
        guard t.dtype == .uint8 || t.dtype == .bool else {
            throw ArtifactError(file: source, "tensor '\(name)' has dtype \(t.dtype.rawValue), expected U8")
        }
        return [UInt8](t.bytes)
    }

    /// Integer tensor (any integer storage) as Int64.
    public func integers(_ name: String, shape: [Int?]? = nil) throws -> [Int64] {
        let t = try tensor(name, shape: shape)
        guard let v = t.integers() else {
            throw ArtifactError(file: source, "tensor '\(name)' has dtype \(t.dtype.rawValue), expected an integer type")
        }
        return v
    }

    // MARK: Metadata helpers

    /// A required metadata value.
    public func meta(_ key: String) throws -> String {
        guard let v = metadata[key] else { throw ArtifactError(file: source, "missing metadata key '\(key)'") }
        return v
    }

    /// A required integer metadata value.
    public func metaInt(_ key: String) throws -> Int {
        let text = try meta(key)
        guard let v = Int(text) else { throw ArtifactError(file: source, "metadata '\(key)' = '\(ArtifactError.excerpt(text))' is not an integer") }
        return v
    }

    /// Checks that the artifact is of `expected` kind and version.
    public func require(_ expected: Schema) throws {
        guard let text = metadata["schema"] else {
            throw ArtifactError(file: source, "no 'schema' in metadata; expected \(expected) (see docs/artifacts.md)")
        }
        guard let found = Schema(parsing: text) else {
            throw ArtifactError(file: source, "unreadable schema '\(ArtifactError.excerpt(text))'; expected \(expected)")
        }
        guard found.name == expected.name else {
            throw ArtifactError(file: source, "is a \(ArtifactError.excerpt(found.description)) artifact, expected \(expected)")
        }
        guard found.version == expected.version else {
            throw ArtifactError(file: source, "schema \(ArtifactError.excerpt(found.description)) is a version this tool does not read; it reads \(expected)")
        }
    }

    // MARK: Files

    /// Reads and validates an artifact; with `expecting`, also checks its schema.
    public static func read(_ path: String, expecting schema: Schema? = nil) throws -> Artifact {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ArtifactError(file: path, "no such file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ArtifactError(file: path, "cannot be read (\(error.localizedDescription))")
        }
        let artifact = try SafetensorsCodec.decode(data, source: path)
        if let schema { try artifact.require(schema) }
        return artifact
    }

    /// Writes atomically: a temporary file in the same folder, renamed into place.
    public func write(to path: String) throws {
        let data = try SafetensorsCodec.encode(self)
        try AtomicFile.write(data, to: path)
    }

    public func encoded() throws -> Data { try SafetensorsCodec.encode(self) }

    public static func decode(_ data: Data, source: String = "<memory>") throws -> Artifact {
        try SafetensorsCodec.decode(data, source: source)
    }
}
