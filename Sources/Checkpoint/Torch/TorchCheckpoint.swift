import Foundation

/// Opens `torch.save` zip checkpoints as a `StateDict`: unpickles data.pkl with
/// the safe reader, then checks every tensor view against its storage before
/// any value is read.
enum TorchCheckpoint {
    static func open(_ path: String) throws -> StateDict {
        let archive = try TorchZipArchive(path)
        if let order = try archive.record("byteorder", limit: 64) {
            let text = String(decoding: order, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text == "little" else {
                throw CheckpointError(file: path, "storages are stored '\(text)'-endian; only little-endian checkpoints are read")
            }
        }
        guard let pickle = try archive.record("data.pkl") else {
            throw CheckpointError(file: path, "data.pkl cannot be read")
        }
        var unpickler = SafeUnpickler(pickle, file: path)
        let root = try unpickler.load()
        var tensors: [(key: String, record: TensorRecord)] = []
        // The arena empties every container when it goes: keep it until the walk is done.
        try withExtendedLifetime(unpickler.arena) {
            try collectTensors(root, prefix: "", depth: 0, file: path, into: &tensors)
        }
        guard !tensors.isEmpty else {
            throw CheckpointError(file: path, "holds no tensors (its pickle is a \(root.kind))")
        }

        var storageTypes: [String: StorageReference] = [:]
        var ordered: [(key: String, info: TensorInfo)] = []
        var records: [String: TensorRecord] = [:]
        for (key, record) in tensors {
            try check(record, key: key, in: archive, seen: &storageTypes)
            // Only flattening can repeat a key ({"a": {"b": x}, "a.b": y}); which one is meant is unknowable.
            guard records[key] == nil else {
                throw CheckpointError(file: path, "tensor key '\(key)' occurs twice once nested containers are flattened")
            }
            ordered.append((key, TensorInfo(dtype: record.storage.elementType, shape: record.shape)))
            records[key] = record
        }
        return StateDict(file: path, ordered: ordered, store: TorchTensorStore(archive: archive, records: records))
    }

    /// Checkpoints nest a few levels at most; a deeper nest (or a cycle, which a
    /// pickle can build through its memo) is refused instead of recursing forever.
    static let maximumNesting = 64

    /// Walks nested dicts, lists and tuples; tensors get dotted keys as
    /// `state_dict()` names them ({"model": {"a.weight": t}} → "model.a.weight").
    /// Plain values (epochs, config strings) are skipped.
    static func collectTensors(_ value: PickleValue, prefix: String, depth: Int, file: String,
                                       into out: inout [(key: String, record: TensorRecord)]) throws {
        guard depth <= maximumNesting else {
            throw CheckpointError(file: file, "pickle nests containers deeper than \(maximumNesting) levels (or in a cycle) at '\(prefix)'")
        }
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
        func walk(_ item: PickleValue, _ key: String) throws {
            try collectTensors(item, prefix: join(key), depth: depth + 1, file: file, into: &out)
        }
        switch value {
        case .tensor(let record):
            out.append((prefix, record))
        case .dict(let dict):
            for (key, item) in dict.entries {
                switch key {
                case .string(let s): try walk(item, s)
                case .int(let i): try walk(item, String(i))
                default: continue
                }
            }
        case .list(let list):
            for (i, item) in list.items.enumerated() { try walk(item, String(i)) }
        case .tuple(let tuple):
            for (i, item) in tuple.items.enumerated() { try walk(item, String(i)) }
        default:
            return
        }
    }

    /// Everything that could make a later read go out of bounds is refused here.
    private static func check(_ record: TensorRecord, key: String, in archive: TorchZipArchive, seen: inout [String: StorageReference]) throws {
        let file = archive.file
        let storage = record.storage
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, "tensor '\(key)': \(problem)") }
        if let earlier = seen[storage.key], earlier.elementType != storage.elementType || earlier.count != storage.count {
            throw fail("storage '\(storage.key)' is described inconsistently by two tensors")
        }
        seen[storage.key] = storage
        guard let size = archive.storageSize(storage.key) else {
            throw fail("its storage 'data/\(storage.key)' is missing from the archive (truncated?)")
        }
        let (needed, overflow) = storage.count.multipliedReportingOverflow(by: storage.elementType.byteSize)
        guard !overflow, UInt64(needed) == size else {
            throw fail("storage 'data/\(storage.key)' holds \(size) bytes, \(storage.count) \(storage.elementType.rawValue) elements need \(needed)")
        }
        guard record.shape.count == record.strides.count else {
            throw fail("size \(record.shape) and stride \(record.strides) differ in rank")
        }
        guard record.shape.allSatisfy({ $0 >= 0 }), record.strides.allSatisfy({ $0 >= 0 }), record.offset >= 0 else {
            throw fail("negative size, stride or offset")
        }
        var elements = 1
        var lastIndex = record.offset
        for (n, s) in zip(record.shape, record.strides) {
            let (e, o1) = elements.multipliedReportingOverflow(by: n)
            guard !o1 else { throw fail("size \(record.shape) overflows") }
            elements = e
            if n > 0 {
                let (step, o2) = (n - 1).multipliedReportingOverflow(by: s)
                let (sum, o3) = lastIndex.addingReportingOverflow(step)
                guard !o2, !o3 else { throw fail("stride \(record.strides) overflows") }
                lastIndex = sum
            }
        }
        // An expanded (stride 0) view may be larger than its storage, but not absurdly:
        // the limit keeps a crafted size from driving a huge allocation.
        guard elements <= max(storage.count, 1 << 28) else {
            throw fail("view of \(elements) elements over a \(storage.count)-element storage is larger than this reader accepts")
        }
        if elements > 0, lastIndex >= storage.count {
            throw fail("view (offset \(record.offset), size \(record.shape), stride \(record.strides)) reaches element \(lastIndex) of a \(storage.count)-element storage")
        }
    }
}

/// Reads a tensor's storage from the archive and gathers its strided view.
struct TorchTensorStore: TensorStore {
    let archive: TorchZipArchive
    let records: [String: TensorRecord]

    func values(of key: String) throws -> [Float] {
        guard let record = records[key] else { throw CheckpointError(file: archive.file, "no tensor '\(key)'") }
        let count = record.shape.reduce(1, *)
        if count == 0 { return [] }
        let bytes = try archive.storage(record.storage.key)
        let span = StridedView(shape: record.shape, strides: record.strides, offset: record.offset)
        // Only the span of the storage the view touches is widened to Float.
        let range = span.storageRange
        let widened = try ElementConversion.floats(bytes, type: record.storage.elementType, elements: range, file: archive.file)
        if span.isContiguous { return widened }
        return span.gather(widened, base: range.lowerBound)
    }
}
