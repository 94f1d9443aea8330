import Artifacts
import Foundation
import Testing
@testable import Checkpoint
import TestSupport

/// Reading what torch.save writes, compared value by value with torch's own
/// float32 conversion of the same tensors. Every comparison is exact: float32
/// values are copied, and float16/bfloat16 → float32 is exact in both torch and here.
@Suite struct TorchCheckpointTests {
    @Test(arguments: ["state_dict.pt", "state_dict_p4.pt", "state_dict.safetensors"])
    func everyTensorMatchesTorch(_ name: String) throws {
        let dict = try StateDict.load(Fixtures.path(name))
        let expected = try Fixtures.expected()
        #expect(dict.keys == expected.tensorNames || Set(dict.keys) == Set(expected.tensorNames))
        #expect(dict.count == 21)
        for key in expected.tensorNames {
            let want = try expected.tensor(key)
            let got = try dict.tensor(key)
            #expect(got.shape == want.shape, "\(key)")
            #expect(got.values == want.floats()!, "\(key)")
        }
    }

    @Test func keysKeepFileOrder() throws {
        let dict = try StateDict.load(Fixtures.path("state_dict.pt"))
        // The order model.state_dict() produced, then the extra entries as inserted.
        #expect(Array(dict.keys.prefix(3)) == ["encoder.cnn.layers.0.weight", "encoder.cnn.layers.0.bias", "encoder.cnn.layers.1.weight"])
        #expect(dict.keys.last == "decoder.mask")
    }

    @Test func stridedViewsAreGathered() throws {
        let dict = try StateDict.load(Fixtures.path("state_dict.pt"))
        let base = try dict.tensor("decoder.base")       // 3×5
        let transposed = try dict.tensor("decoder.transposed")  // its transpose, same storage
        #expect(transposed.shape == [5, 3])
        for i in 0..<5 { for j in 0..<3 { #expect(transposed.values[i * 3 + j] == base.values[j * 5 + i]) } }
        let expanded = try dict.tensor("decoder.expanded")  // 3×1 expanded to 3×4 (stride 0)
        for i in 0..<3 { #expect(Set(expanded.values[(i * 4)..<(i * 4 + 4)]).count == 1) }
        #expect(try dict.tensor("decoder.empty") == LoadedTensor(shape: [0, 3], values: []))
        #expect(try dict.tensor("decoder.scalar") == LoadedTensor(shape: [], values: [2.5]))
    }

    @Test func elementTypesAreReported() throws {
        let dict = try StateDict.load(Fixtures.path("state_dict.pt"))
        #expect(dict.info("decoder.half")?.dtype == .float16)
        #expect(dict.info("decoder.bf16")?.dtype == .bfloat16)
        #expect(dict.info("decoder.double")?.dtype == .float64)
        #expect(dict.info("decoder.mask")?.dtype == .bool)
        #expect(dict.info("encoder.cnn.layers.1.num_batches_tracked") == TensorInfo(dtype: .int64, shape: []))
        #expect(try dict.tensor("encoder.cnn.layers.1.num_batches_tracked").values == [123])
    }

    @Test func nestedCheckpointsGetDottedKeys() throws {
        let dict = try StateDict.load(Fixtures.path("wrapped.pt"))
        // {"model": state_dict, "epoch": 7, "config": {...}}: plain values are skipped.
        #expect(dict.keys == ["model.decoder.proj.16.weight", "model.decoder.proj.16.bias"])
        let model = dict.withPrefix("model.")
        #expect(model.keys == ["decoder.proj.16.weight", "decoder.proj.16.bias"])
        #expect(try model.tensor("decoder.proj.16.bias", shape: [3]) == (try Fixtures.expected().floats("decoder.proj.16.bias")))
    }

    // MARK: Malformed files

    @Test func legacyFormatIsRefusedWithAHint() throws {
        let message = Fixtures.message { _ = try StateDict.load(Fixtures.path("legacy.pt")) }
        #expect(message?.contains("legacy.pt") == true)
        #expect(message?.contains("unsupported legacy torch.save format") == true)
    }

    @Test(arguments: [100, 3000, 7000])
    func truncatedZipIsNamed(_ size: Int) throws {
        let path = try Fixtures.truncated("state_dict.pt", to: size)
        let message = Fixtures.message {
            let dict = try StateDict.load(path)
            for key in dict.keys { _ = try dict.tensor(key) }
        }
        #expect(message?.hasPrefix(path) == true, "\(message ?? "no error")")
    }

    @Test func shortStorageIsRefusedBeforeReading() throws {
        let message = Fixtures.message { _ = try StateDict.load(Fixtures.path("short_storage.pt")) }
        #expect(message?.contains("short_storage.pt") == true)
        #expect(message?.contains("storage 'data/0' holds 428 bytes") == true, "\(message ?? "no error")")
    }

    @Test func keysRepeatedByFlatteningAreRefused() throws {
        let message = Fixtures.message { _ = try StateDict.load(Fixtures.path("duplicate_keys.pt")) }
        #expect(message?.contains("tensor key 'a.b' occurs twice") == true, "\(message ?? "no error")")
    }

    @Test func absurdViewsAreRefused() throws {
        let message = Fixtures.message { _ = try StateDict.load(Fixtures.path("huge_view.pt")) }
        #expect(message?.contains("tensor 'huge': view of 1073741824 elements over a 1-element storage is larger than this reader accepts") == true,
                "\(message ?? "no error")")
    }

    @Test func corruptStorageFailsItsChecksum() throws {
        // The index is intact, so opening works; reading the damaged storage does not.
        let dict = try StateDict.load(Fixtures.path("corrupt_crc.pt"))
        let message = Fixtures.message { _ = try dict.tensor("encoder.cnn.layers.0.weight") }
        #expect(message?.contains("corrupt_crc.pt") == true)
        #expect(message?.contains("data/0") == true, "\(message ?? "no error")")
        #expect(try dict.tensor("encoder.cnn.layers.0.bias").values.count == 4)
    }

    @Test(arguments: [("foreign_global.pt", "posix.system"), ("foreign_global_p4.pt", "builtins.eval")])
    func foreignGlobalIsRefusedNeverRun(_ name: String, _ global: String) throws {
        let marker = "/tmp/roma-checkpoint-fixture-was-executed"  // what the payload would create
        try? FileManager.default.removeItem(atPath: marker)
        let message = Fixtures.message { _ = try StateDict.load(Fixtures.path(name)) }
        #expect(message?.contains(name) == true)
        #expect(message?.contains("refuses global '\(global)'") == true, "\(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test(arguments: [7, 200, 2400])
    func truncatedSafetensorsIsNamed(_ size: Int) throws {
        let path = try Fixtures.truncated("state_dict.safetensors", to: size)
        let message = Fixtures.message {
            let dict = try StateDict.load(path)
            for key in dict.keys { _ = try dict.tensor(key) }
        }
        #expect(message?.hasPrefix(path) == true, "\(message ?? "no error")")
    }

    @Test func otherFilesAreNamed() throws {
        let folder = TestPaths.scratch("ckpt-other")
        let text = folder + "/notes.pth"
        try Data("hello, not a checkpoint".utf8).write(to: URL(fileURLWithPath: text))
        #expect(Fixtures.message { _ = try StateDict.load(text) } == "\(text): neither a PyTorch checkpoint (zip) nor a safetensors file")
        #expect(Fixtures.message { _ = try StateDict.load(folder + "/absent.pth") } == "\(folder)/absent.pth: no such file")
        #expect(Fixtures.message { _ = try StateDict.load(folder) } == "\(folder): is a folder, not a weights file")
    }
}
