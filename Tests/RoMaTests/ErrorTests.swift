import Checkpoint
import Artifacts
import Foundation
import Testing
@testable import RoMa
import TestSupport

/// Bad weights and inputs fail with messages naming the problem, never a trap.
struct ErrorTests {
    struct Renamed: WeightSource {
        let inner: any WeightSource
        let drop: String
        func tensor(_ key: String, shape: [Int]) throws -> [Float] {
            if key == drop { throw ArtifactError(file: "test.safetensors", "missing weight '\(key)'") }
            return try inner.tensor(key, shape: shape)
        }
    }

    @Test func missingWeightIsNamed() throws {
        let source = Renamed(inner: try RoMaFixture.weights(), drop: "decoder.gps.16.pos_conv.weight")
        #expect { try RoMaModel(weights: source, config: RoMaFixture.config) } throws: { error in
            "\(error)".contains("decoder.gps.16.pos_conv.weight")
        }
    }

    @Test func wrongArchitectureReportsShape() throws {
        var config = RoMaFixture.config
        config.architecture.gpDim = 24
        #expect { try RoMaModel(weights: try RoMaFixture.weights(), config: config) } throws: { error in
            "\(error)".contains("has shape")
        }
    }

    @Test func truncatedWeightFileIsNamed() throws {
        let dir = TestPaths.scratch("roma-weights")
        let path = dir + "/cut.safetensors"
        let data = try Data(contentsOf: URL(fileURLWithPath: RoMaFixture.directory + "/dinov2.safetensors"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        #expect { try StateDict.load(path) } throws: { error in
            "\(error)".contains(path)
        }
    }

    @Test func inputOfWrongSizeIsRejected() throws {
        let model = try RoMaModel(weights: try RoMaFixture.weights(), config: RoMaFixture.config)
        let io = try RoMaFixture.io()
        let a = try RoMaFixture.decoded(io, "a")
        var b = try RoMaFixture.decoded(io, "b")
        b.coarse = DecodedImage.Pixels(width: 98, height: 98, rgb: [UInt8](repeating: 0, count: 98 * 98 * 3))
        #expect { try model.match(a, b) } throws: { error in
            "\(error)".contains("98x98") && "\(error)".contains("112x112")
        }
        b = try RoMaFixture.decoded(io, "b")
        b.upsampled = nil
        #expect { try model.match(a, b) } throws: { error in "\(error)".contains("no upsampled input") }
    }

    @Test func missingCheckpointsSayWhereToPutThem() {
        #expect { try WeightFiles.resolve(weights: "/nonexistent/roma.pth", dinov2: "/nonexistent/dino.pth", indoor: false) } throws: { error in
            "\(error)".contains("make weights") && "\(error)".contains("/nonexistent/roma.pth")
        }
    }

    @Test func configValidation() {
        #expect(throws: RoMaError.self) { try RoMaConfig(coarseResolution: (500, 560)).validate() }
        #expect(throws: RoMaError.self) { try RoMaConfig(upsampleResolution: (860, 864)).validate() }
        #expect(throws: Never.self) { try RoMaConfig.outdoor.validate() }
    }
}
