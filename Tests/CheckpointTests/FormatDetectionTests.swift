import Foundation
import Testing
@testable import Checkpoint
import TestSupport

/// Telling safetensors from legacy torch files by their first bytes.
@Suite struct FormatDetectionTests {
    /// A safetensors file whose header is exactly `length` bytes (JSON padded with spaces).
    func safetensors(headerLength length: Int) throws -> String {
        var json = Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        json += [UInt8](repeating: UInt8(ascii: " "), count: length - json.count)
        var bytes = withUnsafeBytes(of: UInt64(length).littleEndian) { [UInt8]($0) } + json
        bytes += withUnsafeBytes(of: Float(2.5)) { [UInt8]($0) }
        let path = TestPaths.scratch("format") + "/w.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func headerLengthStartingWithThePickleByteIsSafetensors() throws {
        // 0x180: the file's first byte is 0x80, a pickle's first byte; it was refused as legacy torch.
        let path = try safetensors(headerLength: 0x180)
        #expect(try WeightsFileFormat.detect(path) == .safetensors)
        #expect(try StateDict.load(path).tensor("w", shape: [1]) == [2.5])
    }
}
