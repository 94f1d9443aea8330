import Foundation
import Testing
@testable import Checkpoint

/// Binding weights by name and shape, and layout reports.
@Suite struct StateDictTests {
    static func fixture() throws -> StateDict { try StateDict.load(Fixtures.path("state_dict.pt")) }

    /// The fixture's own keys and shapes, as a model would expect them.
    static func ownLayout(_ dict: StateDict) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: dict.keys.map { ($0, dict.info($0)!.shape) })
    }

    /// The fixture's integer and bool tensors (num_batches_tracked and a mask).
    static func integerKeys(_ dict: StateDict) -> Set<String> {
        Set(dict.keys.filter { !dict.info($0)!.dtype.isFloatingPoint })
    }

    @Test func weightSourceChecksShapes() throws {
        let dict = try Self.fixture()
        let source: any WeightSource = dict
        let weight = try source.tensor("decoder.proj.16.weight", shape: [3, 5])
        #expect(weight == (try Fixtures.expected().floats("decoder.proj.16.weight")))
        let message = Fixtures.message { _ = try source.tensor("decoder.proj.16.weight", shape: [5, 3]) }
        #expect(message == "\(dict.file): tensor 'decoder.proj.16.weight' has shape [3, 5], expected [5, 3]")
        #expect(Fixtures.message { _ = try source.tensor("encoder.cnn.layers.1.num_batches_tracked", shape: []) }?
            .contains("holds int64, expected floating-point weights") == true)
    }

    @Test func missingKeysSuggestSimilarOnes() throws {
        let dict = try Self.fixture()
        let message = Fixtures.message { _ = try dict.tensor("cnn.layers.0.weight", shape: [4, 3, 3, 3]) }
        #expect(message?.contains("no tensor 'cnn.layers.0.weight' among its 21 tensors") == true)
        #expect(message?.contains("'encoder.cnn.layers.0.weight'") == true, "\(message ?? "")")
    }

    @Test func prefixFilterStripsAndKeepsFullNamesInErrors() throws {
        let cnn = try Self.fixture().withPrefix("encoder.cnn.")
        #expect(cnn.keys == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                             "layers.1.running_mean", "layers.1.running_var", "layers.1.num_batches_tracked"])
        #expect(try cnn.tensor("layers.0.bias", shape: [4]) == (try Fixtures.expected().floats("encoder.cnn.layers.0.bias")))
        #expect(Fixtures.message { _ = try cnn.tensor("layers.0.bias", shape: [5]) }?
            .contains("tensor 'encoder.cnn.layers.0.bias' has shape [4], expected [5]") == true)
    }

    @Test func matchingLayoutIsValid() throws {
        let dict = try Self.fixture()
        let report = dict.validate(expected: Self.ownLayout(dict), integerKeys: Self.integerKeys(dict))
        #expect(report.isValid)
        // By default only num_batches_tracked counts as integer: the bool mask is then flagged.
        #expect(dict.validate(expected: Self.ownLayout(dict)).dtypeMismatches.map(\.key) == ["decoder.mask"])
        try report.throwIfInvalid()
    }

    @Test func layoutDifferencesAreReportedByName() throws {
        let dict = try Self.fixture()
        var layout = Self.ownLayout(dict)
        layout["decoder.half"] = nil                    // present in the file: unexpected
        layout["decoder.gps.16.weight"] = [8]           // absent from the file: missing
        layout["decoder.proj.16.weight"] = [5, 3]       // wrong shape
        var integers = Self.integerKeys(dict)
        integers.remove("decoder.mask")                 // a bool where float weights are expected: dtype
        integers.insert("decoder.base")                 // floats where integers are expected: dtype
        let report = dict.validate(expected: layout, integerKeys: integers)
        #expect(!report.isValid)
        #expect(report.missing == ["decoder.gps.16.weight"])
        #expect(report.unexpected == ["decoder.half"])
        #expect(report.shapeMismatches == [.init(key: "decoder.proj.16.weight", expected: [5, 3], found: [3, 5])])
        #expect(report.dtypeMismatches.map(\.key) == ["decoder.base", "decoder.mask"])
        let message = Fixtures.message { try report.throwIfInvalid() } ?? ""
        for name in ["decoder.gps.16.weight", "decoder.half", "decoder.proj.16.weight: expected [5, 3], found [3, 5]", "decoder.mask"] {
            #expect(message.contains(name), "\(name) in \(message)")
        }
        #expect(message.hasPrefix(dict.file))
    }

    @Test func longReportsAreCut() throws {
        let dict = try Self.fixture()
        let report = dict.validate(expected: [:])  // everything is unexpected
        #expect(report.unexpected.count == 21)
        #expect(report.description.contains("… and 9 more"))
    }
}

@Suite struct ConversionTests {
    @Test func halfPrecisionConvertsExactly() {
        let cases: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),
            (0x0400, 0x1p-14), (0x8000, -0.0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in cases {
            let got = ElementConversion.halfToFloat(bits)
            #expect(got == value && got.sign == value.sign, "0x\(String(bits, radix: 16))")
        }
        #expect(ElementConversion.halfToFloat(0x7E00).isNaN)
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        // The CRC-32 catalogue's check value for "123456789", fed in uneven pieces
        // so both the 8-byte and the byte-at-a-time paths run.
        var crc = CRC32()
        let text = Array("123456789".utf8)
        text[..<3].withUnsafeBytes { crc.update($0) }
        text[3...].withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xCBF4_3926)
        var long = CRC32()
        Array(repeating: UInt8(0x61), count: 1000).withUnsafeBytes { long.update($0) }
        #expect(long.value == 0x9A38_DA03)  // zlib.crc32(b"a" * 1000)
    }

    @Test func stridedViewGathersLikeIndexing() {
        // A 2×3×4 block stored as storage[7 + 1·i + 12·j + 3·k] (an arbitrary permutation with offset).
        let storage = (0..<60).map(Float.init)
        let view = StridedView(shape: [2, 3, 4], strides: [1, 12, 3], offset: 7)
        #expect(!view.isContiguous)
        let range = view.storageRange
        #expect(range == 7..<(7 + 1 + 24 + 9 + 1))
        let got = view.gather(Array(storage[range]), base: range.lowerBound)
        var want: [Float] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { want.append(storage[7 + i + 12 * j + 3 * k]) } } }
        #expect(got == want)
        #expect(StridedView(shape: [2, 1, 3], strides: [3, 99, 1], offset: 0).isContiguous)
    }
}
