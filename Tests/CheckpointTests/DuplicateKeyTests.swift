import Artifacts
import Foundation
import Testing
@testable import Checkpoint
import TestSupport

/// Safetensors checkpoints follow the artifact reader: a tensor name given twice is refused.
@Suite struct DuplicateKeyTests {
    @Test func repeatedTensorNameIsRefused() throws {
        var json = Data(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(Data(count: 8))
        let path = TestPaths.scratch("ckpt-dup") + "/dup.safetensors"
        try file.write(to: URL(fileURLWithPath: path))
        do {
            _ = try StateDict.load(path)
            Issue.record("accepted a repeated tensor name")
        } catch {
            #expect("\(error)".hasPrefix(path) && "\(error)".contains("repeats the key 'w'"), "\(error)")
        }
    }
}
