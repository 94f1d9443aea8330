import Foundation

/// A tensor read from a weights file, widened to Float32, in row-major order.
public struct LoadedTensor: Sendable, Equatable {
    public let shape: [Int]
    public let values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// What a file says about one tensor, known without reading its bytes.
public struct TensorInfo: Sendable, Equatable {
    public let dtype: ElementType
    public let shape: [Int]
}

/// Where model code gets its parameters from. The RoMa model binds every weight
/// through this, so tests can hand it any source (a checkpoint, a fixture, a map).
public protocol WeightSource {
    /// The tensor `key`, which must have exactly `shape`, as Float32 row-major values.
    func tensor(_ key: String, shape: [Int]) throws -> [Float]
}

/// Supplies the values of tensors a `StateDict` knows about, on demand.
protocol TensorStore: Sendable {
    func values(of key: String) throws -> [Float]
}

/// The tensors of a checkpoint by their state-dict key (`decoder.gps.16.pos_conv.weight`),
/// in file order. Opening one reads only the index (the pickle or the safetensors
/// header): values are read from the file when a tensor is asked for.
public struct StateDict: WeightSource, Sendable {
    /// The file the tensors come from, for messages.
    public let file: String
    /// Keys in the order the file lists them, after any prefix filter.
    public let keys: [String]
    private let infos: [String: TensorInfo]
    /// Visible key → key in the file (they differ after `withPrefix`).
    private let fileKeys: [String: String]
    /// The whole file's index, also after `withPrefix`: to tell which official file it is.
    private let fileInfos: [String: TensorInfo]
    private let store: any TensorStore

    init(file: String, ordered: [(key: String, info: TensorInfo)], store: any TensorStore) {
        self.file = file
        self.keys = ordered.map(\.key)
        self.infos = Dictionary(ordered.map { ($0.key, $0.info) }, uniquingKeysWith: { _, last in last })
        self.fileKeys = Dictionary(ordered.map { ($0.key, $0.key) }, uniquingKeysWith: { _, last in last })
        self.fileInfos = infos
        self.store = store
    }

    private init(file: String, keys: [String], infos: [String: TensorInfo], fileKeys: [String: String],
                 fileInfos: [String: TensorInfo], store: any TensorStore) {
        self.file = file
        self.keys = keys
        self.infos = infos
        self.fileKeys = fileKeys
        self.fileInfos = fileInfos
        self.store = store
    }

    /// Opens a PyTorch checkpoint (`torch.save` zip format) or a safetensors
    /// file, told apart by content. Legacy (pre-1.6) torch files are refused with
    /// a message saying how to convert them.
    public static func load(_ path: String) throws -> StateDict {
        switch try WeightsFileFormat.detect(path) {
        case .torchZip: return try TorchCheckpoint.open(path)
        case .safetensors: return try SafetensorsWeights.open(path)
        case .torchLegacy:
            throw CheckpointError(file: path, """
                unsupported legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False); \
                convert it in Python with torch.save(torch.load(PATH, weights_only=True), NEW_PATH)
                """)
        case .unknown:
            throw CheckpointError(file: path, "neither a PyTorch checkpoint (zip) nor a safetensors file")
        }
    }

    public var count: Int { keys.count }

    /// Dtype and shape of `key`, nil when absent.
    public func info(_ key: String) -> TensorInfo? { infos[key] }

    public func contains(_ key: String) -> Bool { infos[key] != nil }

    /// The tensors whose key starts with `prefix`, with the prefix removed:
    /// `withPrefix("encoder.cnn.")` turns `encoder.cnn.layers.0.weight` into
    /// `layers.0.weight`. Messages keep naming the full key in the file.
    public func withPrefix(_ prefix: String) -> StateDict {
        var kept: [String] = []
        var newInfos: [String: TensorInfo] = [:]
        var newFileKeys: [String: String] = [:]
        for key in keys where key.hasPrefix(prefix) {
            let short = String(key.dropFirst(prefix.count))
            kept.append(short)
            newInfos[short] = infos[key]
            newFileKeys[short] = fileKeys[key]
        }
        return StateDict(file: file, keys: kept, infos: newInfos, fileKeys: newFileKeys, fileInfos: fileInfos, store: store)
    }

    /// Reads tensor `key` from the file.
    public func tensor(_ key: String) throws -> LoadedTensor {
        guard let info = infos[key], let fileKey = fileKeys[key] else { throw missing(key) }
        return LoadedTensor(shape: info.shape, values: try store.values(of: fileKey))
    }

    /// Reads tensor `key`, which must have exactly `shape` and a floating-point type.
    public func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        guard let info = infos[key], let fileKey = fileKeys[key] else { throw missing(key) }
        guard info.shape == shape else {
            throw CheckpointError(file: file, "tensor '\(fileKey)' has shape \(info.shape), expected \(shape)")
        }
        guard info.dtype.isFloatingPoint else {
            throw CheckpointError(file: file, "tensor '\(fileKey)' holds \(info.dtype.rawValue), expected floating-point weights")
        }
        return try store.values(of: fileKey)
    }

    private func missing(_ key: String) -> CheckpointError {
        // Suggest keys sharing the last two path components: the usual cause is a
        // prefix that differs (a wrapper module, a missing `withPrefix`).
        let tail = key.split(separator: ".").suffix(2).joined(separator: ".")
        let similar = keys.filter { $0.hasSuffix(tail) }.prefix(3)
        let hint = similar.isEmpty ? "" : "; similar keys: " + similar.map { "'\($0)'" }.joined(separator: ", ")
        // A whole official checkpoint of another model (RoMa v1 given to v2, or the reverse) says so.
        let lookalike = officialLayout.map { "; the file is laid out as \($0.fileName), the \($0.modelName) checkpoint" } ?? ""
        return CheckpointError(file: file, "no tensor '\(key)' among its \(keys.count) tensors\(hint)\(lookalike)")
    }

    /// Compares the file's tensors with the keys and shapes a model expects.
    /// `integerKeys` are expected to hold integers (or bools), all others floating
    /// point of any width (every one is widened to Float32). By default the
    /// integer keys are BatchNorm's `…num_batches_tracked` counters.
    public func validate(expected: [String: [Int]], integerKeys: Set<String>? = nil) -> LayoutReport {
        Self.validate(infos: infos, keys: keys, file: file, expected: expected, integerKeys: integerKeys)
    }

    /// The official checkpoint whose layout the whole file has (also after `withPrefix`), if any.
    public var officialLayout: OfficialWeights? {
        let keys = Array(fileInfos.keys)
        return OfficialWeights.allCases.first {
            Self.validate(infos: fileInfos, keys: keys, file: file, expected: $0.expectedLayout, integerKeys: $0.weightFile.integerKeys).isValid
        }
    }

    /// Throws unless the file is laid out as `official`, naming the official checkpoint it
    /// is laid out as instead (a RoMa v1 file given to RoMa v2, or the reverse) and every difference.
    public func requireLayout(of official: OfficialWeights) throws {
        let report = validate(expected: official.expectedLayout, integerKeys: official.weightFile.integerKeys)
        guard !report.isValid else { return }
        var message = "is not a \(official.modelName) checkpoint (\(official.fileName))"
        if let other = officialLayout { message += ": it is laid out as \(other.fileName), the \(other.modelName) checkpoint" }
        throw CheckpointError(file: file, message + "\n" + report.description)
    }

    private static func validate(infos: [String: TensorInfo], keys: [String], file: String, expected: [String: [Int]],
                                 integerKeys: Set<String>?) -> LayoutReport {
        var report = LayoutReport(file: file)
        for key in expected.keys.sorted() {
            let want = expected[key]!
            guard let found = infos[key] else {
                report.missing.append(key)
                continue
            }
            if found.shape != want { report.shapeMismatches.append(.init(key: key, expected: want, found: found.shape)) }
            let wantsInteger = integerKeys?.contains(key) ?? key.hasSuffix("num_batches_tracked")
            if found.dtype.isFloatingPoint == wantsInteger {
                report.dtypeMismatches.append(.init(key: key, expected: wantsInteger ? "an integer type" : "a floating-point type", found: found.dtype))
            }
        }
        report.unexpected = keys.filter { expected[$0] == nil }
        return report
    }
}

/// The differences between a file's tensors and a model's expectations, by name.
public struct LayoutReport: Sendable, CustomStringConvertible {
    public struct ShapeMismatch: Sendable, Equatable {
        public let key: String
        public let expected: [Int]
        public let found: [Int]
    }

    public struct DTypeMismatch: Sendable, Equatable {
        public let key: String
        public let expected: String
        public let found: ElementType
    }

    public let file: String
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var shapeMismatches: [ShapeMismatch] = []
    public var dtypeMismatches: [DTypeMismatch] = []

    public var isValid: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty && dtypeMismatches.isEmpty }

    /// Throws a `CheckpointError` listing every difference when there is any.
    public func throwIfInvalid() throws {
        if !isValid { throw CheckpointError(file: file, "does not match the expected layout:\n" + description) }
    }

    public var description: String {
        if isValid { return "layout matches" }
        var lines: [String] = []
        // Long lists are cut: a wrong file can differ in hundreds of keys, and the first few tell which.
        func section(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append("  \(title) (\(items.count)):")
            lines += items.prefix(12).map { "    \($0)" }
            if items.count > 12 { lines.append("    … and \(items.count - 12) more") }
        }
        section("missing keys", missing)
        section("unexpected keys", unexpected)
        section("shape mismatches", shapeMismatches.map { "\($0.key): expected \($0.expected), found \($0.found)" })
        section("dtype mismatches", dtypeMismatches.map { "\($0.key): expected \($0.expected), found \($0.found.rawValue)" })
        return lines.joined(separator: "\n")
    }
}
