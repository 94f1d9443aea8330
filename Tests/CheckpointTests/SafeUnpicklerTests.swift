import Foundation
import Testing
@testable import Checkpoint

/// The pickle reader on hand-made and Python-made streams: plain data decodes,
/// anything that would execute code or read out of bounds is refused by name.
@Suite struct SafeUnpicklerTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    /// Runs `bytes` and hands the result to `body` while its containers are alive.
    static func load(_ bytes: [UInt8], _ body: (PickleValue) throws -> Void = { _ in }) throws {
        var unpickler = SafeUnpickler(bytes, file: "test.pkl")
        let value = try unpickler.load()
        try withExtendedLifetime(unpickler.arena) { try body(value) }
    }

    static func message(_ bytes: [UInt8]) -> String? {
        Fixtures.message { try load(bytes) }
    }

    // pickle.dumps({"a": [1, 2.5, "x", -300000, 2**40, -2**63, True, None, b"hi"], "t": (1, (2, 3)), 7: "seven"}, protocol=p)
    // from CPython 3; protocol 2 spells bytes as _codecs.encode(text, "latin1").
    static let plainData: [(Int, String)] = [
        (2, "80027d71002858010000006171015d7102284b0147400400000000000058010000007871034a206cfbff8a060000000000018a080000000000000080884e635f636f646563730a656e636f64650a710458020000006869710558060000006c6174696e3171068671075271086558010000007471094b014b024b0386710a86710b4b075805000000736576656e710c752e"),
        (4, "80049552000000000000007d94288c0161945d94284b014740040000000000008c0178944a206cfbff8a060000000000018a080000000000000080884e4302686994658c0174944b014b024b03869486944b078c05736576656e94752e"),
    ]

    @Test(arguments: plainData)
    func plainDataDecodes(_ protocolVersion: Int, _ hex: String) throws {
        try Self.load(Self.bytes(hex)) { value in
            guard case .dict(let dict) = value else { Issue.record("not a dict"); return }
            #expect(dict.entries.count == 3)
            guard case .string("a") = dict.entries[0].key, case .list(let list) = dict.entries[0].value else {
                Issue.record("entry a"); return
            }
            let items = list.items
            #expect(items.count == 9)
            if case .int(let v) = items[0] { #expect(v == 1) } else { Issue.record("int") }
            if case .float(let v) = items[1] { #expect(v == 2.5) } else { Issue.record("float") }
            if case .string(let v) = items[2] { #expect(v == "x") } else { Issue.record("str") }
            if case .int(let v) = items[3] { #expect(v == -300_000) } else { Issue.record("BININT") }
            if case .int(let v) = items[4] { #expect(v == 1 << 40) } else { Issue.record("LONG1") }
            if case .int(let v) = items[5] { #expect(v == Int.min) } else { Issue.record("LONG1 negative") }
            if case .bool(let v) = items[6] { #expect(v) } else { Issue.record("bool") }
            if case .none = items[7] {} else { Issue.record("None") }
            if case .bytes(let v) = items[8] { #expect(v == Array("hi".utf8)) } else { Issue.record("bytes") }
            guard case .tuple(let t) = dict.entries[1].value, t.items.count == 2, case .tuple(let inner) = t.items[1] else {
                Issue.record("tuple"); return
            }
            #expect(inner.items.count == 2)
            guard case .int(7) = dict.entries[2].key, case .string("seven") = dict.entries[2].value else {
                Issue.record("int key"); return
            }
        }
    }

    @Test(arguments: [
        ("torch.storage", "_load_from_bytes"),  // how legacy checkpoints smuggle a nested torch.load
        ("os", "system"),
        ("builtins", "getattr"),
        ("torch", "load"),                      // a torch name that is not a storage class
        ("numpy.core.multiarray", "_reconstruct"),
    ])
    func foreignGlobalsAreRefusedByName(_ module: String, _ name: String) {
        // PROTO 2, GLOBAL module\nname\n, EMPTY_TUPLE, REDUCE, STOP
        let stream = [0x80, 0x02, 0x63] + Array("\(module)\n\(name)\n".utf8) + [0x29, 0x52, 0x2E]
        #expect(Self.message(stream)?.contains("refuses global '\(module).\(name)'") == true)
    }

    @Test func stackGlobalIsCheckedToo() {
        // SHORT_BINUNICODE "os", SHORT_BINUNICODE "system", STACK_GLOBAL, STOP
        let stream: [UInt8] = [0x80, 0x04, 0x8C, 0x02] + Array("os".utf8) + [0x8C, 0x06] + Array("system".utf8) + [0x93, 0x2E]
        #expect(Self.message(stream)?.contains("refuses global 'os.system'") == true)
    }

    @Test func classInstantiationOpcodesAreRefused() {
        let inst = [0x28, 0x69] + Array("subprocess\nPopen\n".utf8) + [0x2E]
        #expect(Self.message(inst)?.contains("refuses global 'subprocess.Popen'") == true)
        // GLOBAL collections.OrderedDict (allowed) then NEWOBJ: still refused.
        let newobj = [0x63] + Array("collections\nOrderedDict\n".utf8) + [0x29, 0x81, 0x2E]
        #expect(Self.message(newobj)?.contains("refuses to instantiate") == true)
    }

    @Test func malformedStreamsAreErrorsNotCrashes() {
        #expect(Self.message([0x80, 0x02, 0x4B])?.contains("truncated") == true)        // BININT1 without its byte
        #expect(Self.message([0x80, 0x02, 0x4B, 0x01])?.contains("before its STOP") == true)
        #expect(Self.message([0x68, 0x05, 0x2E])?.contains("memo slot 5") == true)      // BINGET of an empty slot
        #expect(Self.message([0x52, 0x2E])?.contains("underflow") == true)              // REDUCE on an empty stack
        #expect(Self.message([0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E])?.contains("truncated") == true)  // huge length
        #expect(Self.message([0x74, 0x2E])?.contains("no MARK") == true)
        #expect(Self.message([0xFF])?.contains("unsupported pickle opcode 0xff") == true)
        #expect(Self.message([0x2E]) == "test.pkl: pickle: STOP with an empty stack")
    }

    @Test func setsBecomeLists() throws {
        // pickle.dumps({1}, protocol=2): REDUCE(__builtin__.set, ([1],))
        try Self.load(Self.bytes("8002635f5f6275696c74696e5f5f0a7365740a71005d71014b01618571025271032e")) { value in
            guard case .list(let list) = value else { Issue.record("not a list"); return }
            #expect(list.items.count == 1)
        }
    }

    @Test func deepNestsAreFreedWithoutRecursion() throws {
        // 300 000 lists each inside the next (EMPTY_LIST ×n, APPEND ×(n−1)) and
        // tuples each inside the next (EMPTY_TUPLE, TUPLE1 ×n): freed recursively,
        // either would overflow a thread's stack.
        let n = 300_000
        let lists = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: n) + [UInt8](repeating: 0x61, count: n - 1) + [0x2E]
        let tuples = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: n) + [0x2E]
        for stream in [lists, tuples] {
            try Self.load(stream) { value in
                var out: [(key: String, record: TensorRecord)] = []
                let message = Fixtures.message { try TorchCheckpoint.collectTensors(value, prefix: "", depth: 0, file: "deep.pt", into: &out) }
                #expect(message?.contains("deeper than 64 levels") == true)
            }
        }
    }

    @Test func cyclesAreRefused() throws {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND: a list that contains itself.
        try Self.load([0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]) { value in
            var out: [(key: String, record: TensorRecord)] = []
            #expect(throws: CheckpointError.self) {
                try TorchCheckpoint.collectTensors(value, prefix: "", depth: 0, file: "cycle.pt", into: &out)
            }
        }
    }
}
