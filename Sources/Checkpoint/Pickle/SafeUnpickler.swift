import Foundation

/// A pickle reader for what `torch.save` writes (protocols 2 to 5), that never
/// executes anything.
///
/// Python's unpickler is a small stack machine whose GLOBAL/REDUCE opcodes import
/// and call arbitrary functions; that is how a checkpoint can run `os.system`.
/// This reader runs the same stack machine over plain data only: GLOBAL resolves
/// against `AllowedGlobal` or fails naming the global, and REDUCE interprets the
/// few allowed names itself. Opcodes torch never emits (class instantiation,
/// extension registry, out-of-band buffers) are refused.
///
/// Every length read from the stream is checked against the bytes remaining, so a
/// crafted file cannot make it allocate more than its own size.
struct SafeUnpickler {
    let file: String
    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Owns every container built; keep it alive while using the result.
    let arena = ContainerArena()

    init(_ bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// Runs the pickle to its STOP opcode and returns the value it built.
    mutating func load() throws -> PickleValue {
        while true {
            guard position < bytes.count else { throw fail("ends before its STOP opcode (truncated)") }
            let opcode = bytes[position]
            position += 1
            if opcode == 0x2E {  // STOP
                guard let result = stack.popLast() else { throw fail("STOP with an empty stack") }
                return result
            }
            try execute(opcode)
        }
    }

    // MARK: The opcodes

    private mutating func execute(_ opcode: UInt8) throws {
        switch opcode {
        case 0x80: _ = try take(1)                        // PROTO: any version 2…5 reads the same here
        case 0x95: _ = try take(8)                        // FRAME: a read-ahead hint only
        case 0x28: marks.append(stack.count)              // MARK
        case 0x30: _ = try pop()                          // POP
        case 0x31: _ = try popMark()                      // POP_MARK
        case 0x32: stack.append(try top())                // DUP

        case 0x4E: stack.append(.none)                    // NONE
        case 0x88: stack.append(.bool(true))              // NEWTRUE
        case 0x89: stack.append(.bool(false))             // NEWFALSE
        case 0x4A: stack.append(.int(Int(Int32(bitPattern: UInt32(try littleEndian(4))))))  // BININT
        case 0x4B: stack.append(.int(try littleEndian(1)))  // BININT1
        case 0x4D: stack.append(.int(try littleEndian(2)))  // BININT2
        case 0x8A: stack.append(.int(try longInteger(byteCount: try littleEndian(1))))  // LONG1
        case 0x8B: stack.append(.int(try longInteger(byteCount: try littleEndian(4))))  // LONG4
        case 0x49, 0x4C: stack.append(try textInteger(try line()))  // INT, LONG (protocol 0 forms)
        case 0x47:                                         // BINFLOAT, big-endian
            let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            stack.append(.float(Double(bitPattern: raw)))
        case 0x46:                                         // FLOAT (text)
            let text = try line()
            guard let value = Double(text) else { throw fail("FLOAT opcode holds '\(text)'") }
            stack.append(.float(value))

        case 0x58: stack.append(.string(try utf8(try take(try littleEndian(4)))))   // BINUNICODE
        case 0x8C: stack.append(.string(try utf8(try take(try littleEndian(1)))))   // SHORT_BINUNICODE
        case 0x8D: stack.append(.string(try utf8(try take(try littleEndian(8)))))   // BINUNICODE8
        case 0x54: stack.append(.string(latin1(try take(try littleEndian(4)))))     // BINSTRING (Python 2 str)
        case 0x55: stack.append(.string(latin1(try take(try littleEndian(1)))))     // SHORT_BINSTRING
        case 0x42: stack.append(.bytes(Array(try take(try littleEndian(4)))))      // BINBYTES
        case 0x43: stack.append(.bytes(Array(try take(try littleEndian(1)))))      // SHORT_BINBYTES
        case 0x8E, 0x96: stack.append(.bytes(Array(try take(try littleEndian(8)))))  // BINBYTES8, BYTEARRAY8

        case 0x29: stack.append(arena.tuple([]))                // EMPTY_TUPLE
        case 0x74: stack.append(arena.tuple(try popMark()))     // TUPLE
        case 0x85: stack.append(arena.tuple(try pop(1)))        // TUPLE1
        case 0x86: stack.append(arena.tuple(try pop(2)))        // TUPLE2
        case 0x87: stack.append(arena.tuple(try pop(3)))        // TUPLE3
        case 0x5D: stack.append(arena.list())              // EMPTY_LIST
        case 0x6C: stack.append(arena.list(try popMark()))  // LIST
        case 0x61:                                         // APPEND
            let item = try pop()
            try list(at: try top()).items.append(item)
        case 0x65:                                         // APPENDS
            let items = try popMark()
            try list(at: try top()).items.append(contentsOf: items)
        case 0x7D: stack.append(.dict(arena.dict()))       // EMPTY_DICT
        case 0x64:                                         // DICT
            let dict = arena.dict()
            try fill(dict, with: try popMark())
            stack.append(.dict(dict))
        case 0x73:                                         // SETITEM
            let pair = try pop(2)
            try fill(try dict(at: try top()), with: pair)
        case 0x75:                                         // SETITEMS
            let items = try popMark()
            try fill(try dict(at: try top()), with: items)
        case 0x8F: stack.append(arena.list())              // EMPTY_SET: kept as a list
        case 0x90:                                         // ADDITEMS
            let items = try popMark()
            try list(at: try top()).items.append(contentsOf: items)
        case 0x91: stack.append(arena.list(try popMark()))  // FROZENSET

        case 0x63:                                         // GLOBAL "module\nname\n"
            let module = try line()
            let name = try line()
            stack.append(.global(try resolve(module: module, name: name)))
        case 0x93:                                         // STACK_GLOBAL
            let parts = try pop(2)
            guard case .string(let module) = parts[0], case .string(let name) = parts[1] else {
                throw fail("STACK_GLOBAL needs two strings, found \(parts[0].kind) and \(parts[1].kind)")
            }
            stack.append(.global(try resolve(module: module, name: name)))
        case 0x52:                                         // REDUCE
            let arguments = try pop()
            let callable = try pop()
            stack.append(try reduce(callable, arguments))
        case 0x62:                                         // BUILD
            let state = try pop()
            try build(try top(), state: state)
        case 0x51:                                         // BINPERSID
            stack.append(try persistentLoad(try pop()))
        case 0x50:                                         // PERSID (text id): torch never writes it
            throw fail("uses a text persistent id ('\(try line())'), which torch.save does not write")

        case 0x71: try memoize(at: try littleEndian(1))    // BINPUT
        case 0x72: try memoize(at: try littleEndian(4))    // LONG_BINPUT
        case 0x70: try memoize(at: try textIndex(try line()))  // PUT
        case 0x94: try memoize(at: memo.count)             // MEMOIZE
        case 0x68: stack.append(try recall(try littleEndian(1)))  // BINGET
        case 0x6A: stack.append(try recall(try littleEndian(4)))  // LONG_BINGET
        case 0x67: stack.append(try recall(try textIndex(try line())))  // GET

        case 0x69:                                         // INST: names a class inline, then instantiates it
            let module = try line()
            let name = try line()
            throw fail("refuses global '\(module).\(name)': instantiating classes (INST) is never done")
        case 0x6F, 0x81, 0x92:                             // OBJ, NEWOBJ, NEWOBJ_EX
            throw fail("refuses to instantiate a class (opcode 0x\(String(opcode, radix: 16))); torch.save state dicts never need it")
        case 0x82, 0x83, 0x84:                             // EXT1/2/4
            throw fail("uses the pickle extension registry (opcode 0x\(String(opcode, radix: 16))), which is refused")
        case 0x97, 0x98:                                   // NEXT_BUFFER, READONLY_BUFFER
            throw fail("uses out-of-band buffers (opcode 0x\(String(opcode, radix: 16))), which torch.save does not write")
        default:
            throw fail("unsupported pickle opcode 0x\(String(opcode, radix: 16)) at byte \(position - 1)")
        }
    }

    // MARK: The interpreted globals

    private func resolve(module: String, name: String) throws -> AllowedGlobal {
        guard let global = AllowedGlobal(module: module, name: name) else {
            throw fail("refuses global '\(module).\(name)': only plain containers and torch tensors are read from checkpoints, nothing is ever executed")
        }
        return global
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else {
            throw fail("REDUCE on a \(callable.kind), which is not a callable this reader knows")
        }
        guard case .tuple(let argumentTuple) = arguments else {
            throw fail("REDUCE of \(global.qualifiedName) with \(arguments.kind) arguments instead of a tuple")
        }
        let args = argumentTuple.items
        switch global {
        case .orderedDict:
            let dict = arena.dict()
            if let first = args.first {
                // OrderedDict(iterable_of_pairs)
                for pair in try sequence(first, what: "OrderedDict argument") {
                    guard case .tuple(let kv) = pair, kv.items.count == 2 else { throw fail("OrderedDict item is not a pair") }
                    dict.set(kv.items[0], kv.items[1])
                }
            }
            return .dict(dict)
        case .rebuildTensorV2:
            return .tensor(try rebuildTensor(args))
        case .rebuildParameter, .rebuildParameterWithState:
            // A Parameter is its data tensor plus autograd flags we have no use for.
            guard let data = args.first, case .tensor = data else {
                throw fail("\(global.qualifiedName) without a tensor as first argument")
            }
            return data
        case .torchSize:
            guard args.count == 1 else { throw fail("torch.Size takes one argument, found \(args.count)") }
            return arena.tuple(try sequence(args[0], what: "torch.Size argument"))
        case .set:
            return arena.list(try args.first.map { try sequence($0, what: "set argument") } ?? [])
        case .codecsEncode:
            // Protocol 2 writes Python 3 bytes as _codecs.encode(text, 'latin1').
            guard args.count == 2, case .string(let text) = args[0], case .string(let codec) = args[1],
                  ["latin1", "latin-1", "iso-8859-1"].contains(codec.lowercased()) else {
                throw fail("_codecs.encode is only read in its latin1 form")
            }
            var out: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw fail("_codecs.encode latin1 text holds a character above U+00FF") }
                out.append(UInt8(scalar.value))
            }
            return .bytes(out)
        case .storageType:
            throw fail("calls a storage class directly, which torch.save does not do")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private func rebuildTensor(_ args: [PickleValue]) throws -> TensorRecord {
        guard args.count >= 4 else { throw fail("_rebuild_tensor_v2 with \(args.count) arguments, expected at least 4") }
        guard case .storage(let storage) = args[0] else {
            throw fail("_rebuild_tensor_v2 without a storage (found \(args[0].kind))")
        }
        guard case .int(let offset) = args[1] else { throw fail("tensor storage offset is a \(args[1].kind)") }
        let shape = try integers(args[2], what: "tensor size")
        let strides = try integers(args[3], what: "tensor stride")
        return TensorRecord(storage: storage, offset: offset, shape: shape, strides: strides)
    }

    /// BUILD sets attributes on a freshly reduced object. The only ones torch
    /// writes on a state dict are its `_metadata` (module versions), which the
    /// loader does not need, and a Parameter's extra state.
    private func build(_ target: PickleValue, state: PickleValue) throws {
        switch target {
        case .dict, .tensor: return
        default: throw fail("BUILD on a \(target.kind), which this reader does not create")
        }
    }

    /// torch.save's persistent id for a storage: ('storage', type, key, location, numel).
    private func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let tuple) = id, tuple.items.count == 5, case .string("storage") = tuple.items[0] else {
            throw fail("persistent id is not a torch storage reference")
        }
        let fields = tuple.items
        guard case .global(.storageType(let type)) = fields[1] else {
            throw fail("storage of unsupported type \(fields[1].kind)")
        }
        let key: String
        switch fields[2] {
        case .string(let s): key = s
        case .int(let i): key = String(i)
        default: throw fail("storage key is a \(fields[2].kind)")
        }
        guard case .int(let count) = fields[4], count >= 0 else { throw fail("storage '\(key)' has an invalid element count") }
        guard !key.contains("/"), !key.contains("..") else { throw fail("storage key '\(key)' is not a plain name") }
        return .storage(StorageReference(key: key, elementType: type, count: count))
    }

    // MARK: Stack, memo and stream helpers

    private func fail(_ problem: String) -> CheckpointError {
        CheckpointError(file: file, "pickle: \(problem)")
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw fail("stack underflow at byte \(position - 1)") }
        if let mark = marks.last, stack.count < mark { throw fail("pops across a MARK at byte \(position - 1)") }
        return value
    }

    private mutating func pop(_ n: Int) throws -> [PickleValue] {
        let floor = marks.last ?? 0
        guard stack.count - n >= floor else { throw fail("stack underflow at byte \(position - 1)") }
        let values = Array(stack[(stack.count - n)...])
        stack.removeLast(n)
        return values
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK for the opcode at byte \(position - 1)") }
        let values = Array(stack[mark...])
        stack.removeLast(stack.count - mark)
        return values
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw fail("empty stack at byte \(position - 1)") }
        return value
    }

    private func list(at value: PickleValue) throws -> PickleList {
        guard case .list(let list) = value else { throw fail("appends to a \(value.kind), not a list") }
        return list
    }

    private func dict(at value: PickleValue) throws -> PickleDict {
        guard case .dict(let dict) = value else { throw fail("sets an item on a \(value.kind), not a dict") }
        return dict
    }

    private func fill(_ dict: PickleDict, with items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of items for a dict") }
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    private func sequence(_ value: PickleValue, what: String) throws -> [PickleValue] {
        switch value {
        case .tuple(let tuple): return tuple.items
        case .list(let list): return list.items
        default: throw fail("\(what) is a \(value.kind), expected a tuple or list")
        }
    }

    private func integers(_ value: PickleValue, what: String) throws -> [Int] {
        try sequence(value, what: what).map {
            guard case .int(let n) = $0 else { throw fail("\(what) holds a \($0.kind)") }
            return n
        }
    }

    private mutating func memoize(at index: Int) throws {
        memo[index] = try top()
    }

    private func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fail("memo slot \(index) read before it was written") }
        return value
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw fail("needs \(count) bytes at byte \(position) but only \(bytes.count - position) remain (truncated)")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// An unsigned little-endian integer of `count` bytes (count ≤ 8), as Int.
    private mutating func littleEndian(_ count: Int) throws -> Int {
        let raw = try take(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard raw <= UInt64(Int.max) else { throw fail("length \(raw) is out of range") }
        return Int(raw)
    }

    /// LONG1/LONG4: two's complement little-endian of any length; only values that fit in Int64 are read.
    private mutating func longInteger(byteCount: Int) throws -> Int {
        let digits = try take(byteCount)
        guard byteCount > 0 else { return 0 }
        let significant = digits.prefix(8)
        let rest = digits.dropFirst(8)
        let signByte: UInt8 = (digits.last! & 0x80) != 0 ? 0xFF : 0x00
        guard rest.allSatisfy({ $0 == signByte }) else { throw fail("integer wider than 64 bits") }
        var raw: UInt64 = 0
        for (i, b) in significant.enumerated() { raw |= UInt64(b) << (8 * UInt64(i)) }
        if significant.count < 8, signByte == 0xFF { raw |= ~UInt64(0) << (8 * UInt64(significant.count)) }
        return Int(Int64(bitPattern: raw))
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw fail("text opcode without a line end (truncated)") }
        defer { position = end + 1 }
        return latin1(bytes[position..<end])
    }

    private func textInteger(_ text: String) throws -> PickleValue {
        let digits = text.hasSuffix("L") ? String(text.dropLast()) : text
        if digits == "00" { return .bool(false) }
        if digits == "01" { return .bool(true) }
        guard let n = Int(digits) else { throw fail("INT opcode holds '\(text)'") }
        return .int(n)
    }

    private func textIndex(_ text: String) throws -> Int {
        guard let n = Int(text), n >= 0 else { throw fail("memo index '\(text)' is not a number") }
        return n
    }

    private func utf8(_ slice: ArraySlice<UInt8>) throws -> String {
        guard let s = String(validating: slice, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
    }

    private func latin1(_ slice: ArraySlice<UInt8>) -> String {
        String(String.UnicodeScalarView(slice.map { Unicode.Scalar($0) }))
    }
}
