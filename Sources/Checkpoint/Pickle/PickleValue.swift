/// A value built by the safe unpickler. Only plain data and the few torch objects
/// a state dict needs can exist here: there is no case for "an arbitrary Python
/// object", which is what makes the reader safe.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// Containers are references: pickles fill lists and dicts after creating
    /// them, possibly through the memo, so every copy must see the same contents.
    /// Being objects owned by a `ContainerArena` also lets them be freed without
    /// recursion, however deeply a crafted file nests them.
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to a whitelisted class or function, not yet called.
    case global(AllowedGlobal)
    /// A storage named by `persistent_load`: its bytes stay in the archive.
    case storage(StorageReference)
    case tensor(TensorRecord)

    /// Short description for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let g): return g.qualifiedName
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

final class PickleTuple {
    fileprivate(set) var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
}

final class PickleList {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// Keeps every container the unpickler made, and on release empties them all
/// before any is freed: freeing a million-deep nest (two bytes of pickle per
/// level) would otherwise recurse a million deep and overflow the stack. It
/// also breaks reference cycles a pickle can make through the memo.
final class ContainerArena {
    private var tuples: [PickleTuple] = []
    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []

    func tuple(_ items: [PickleValue]) -> PickleValue {
        let t = PickleTuple(items)
        tuples.append(t)
        return .tuple(t)
    }

    func list(_ items: [PickleValue] = []) -> PickleValue {
        let l = PickleList(items)
        lists.append(l)
        return .list(l)
    }

    func dict() -> PickleDict {
        let d = PickleDict()
        dicts.append(d)
        return d
    }

    deinit {
        for t in tuples { t.items = [] }
        for l in lists { l.items = [] }
        for d in dicts { d.removeAll() }
    }
}

/// An insertion-ordered dict, as Python's. Keys that are plain scalars replace
/// earlier equal keys; other keys (rare in a state dict) are appended.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var index: [ScalarKey: Int] = [:]

    enum ScalarKey: Hashable {
        case none, bool(Bool), int(Int), string(String)
    }

    fileprivate func removeAll() {
        entries = []
        index = [:]
    }

    func set(_ key: PickleValue, _ value: PickleValue) {
        let scalar: ScalarKey?
        switch key {
        case .none: scalar = ScalarKey.none
        case .bool(let b): scalar = .bool(b)
        case .int(let i): scalar = .int(i)
        case .string(let s): scalar = .string(s)
        default: scalar = nil
        }
        if let scalar, let at = index[scalar] {
            entries[at].value = value
            return
        }
        if let scalar { index[scalar] = entries.count }
        entries.append((key, value))
    }
}

/// `('storage', storage_type, key, location, numel)` as `torch.save` writes it:
/// the bytes live in the archive entry `data/<key>`.
struct StorageReference {
    let key: String
    let elementType: ElementType
    let count: Int
}

/// What `torch._utils._rebuild_tensor_v2` would build: a strided view of a storage.
struct TensorRecord {
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}
