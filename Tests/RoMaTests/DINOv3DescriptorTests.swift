import Artifacts
import Checkpoint
import Foundation
import NN
import Testing
@testable import RoMa
import TestSupport

/// The reduced DINOv3 descriptor written by scripts/fixtures/make_roma2_descriptor_fixtures.py
/// (romav2 2.0.1's wrapper around DINOv3 adc2544, widths 32 / 4 blocks / 2 heads, layers [1, 3]).
enum DINOv3Fixture {
    static let directory = TestPaths.fixture("roma2/descriptor")

    static func io() throws -> Artifact { try Artifact.read(directory + "/io.safetensors") }

    static func reader() throws -> LayerReader { LayerReader(try StateDict.load(directory + "/weights.safetensors"), "f.") }

    /// The widths from the fixture's metadata, so the test follows the generator.
    static func shape(_ io: Artifact) throws -> DINOv3Shape {
        struct Arch: Decodable { var embed_dim: Int, depth: Int, num_heads: Int, layers: [Int], patch_size: Int }
        let a = try JSONDecoder().decode(Arch.self, from: Data(try io.meta("architecture").utf8))
        return DINOv3Shape(embedDim: a.embed_dim, depth: a.depth, heads: a.num_heads, patch: a.patch_size, layers: a.layers)
    }

    static func tensor(_ io: Artifact, _ name: String) throws -> Tensor {
        Tensor(try io.floats(name), shape: try io.tensor(name).shape)
    }
}

/// Module by module against the reference, each fed the reference's own input.
///
/// Tolerances: activations are O(1)–O(10) (tokens ≤ 4.5, block outputs ≤ 8, outputs ≤ 3.5).
/// The only differences are float32 summation order (GEMMs of length 768 in the patch
/// embedding, 32–128 in the blocks, 21 in attention) and ulp-level sin/cos and GELU, so
/// each stage is expected within ~1e-6 relative; the bounds (1e-5 relative to the tensor's
/// largest magnitude, plus 1e-5 absolute) leave a margin of ~10× and still catch any
/// wrong formula (a missed mask, a wrong norm eps or RoPE layout moves values by 1e-3 or more).
@Suite(.serialized) struct DINOv3DescriptorTests {
    let io: Artifact
    let shape: DINOv3Shape
    let descriptor: DINOv3Descriptor

    init() throws {
        io = try DINOv3Fixture.io()
        shape = try DINOv3Fixture.shape(io)
        descriptor = try DINOv3Descriptor(DINOv3Fixture.reader(), shape: shape)
    }

    static let inputs = ["sq", "wide"]

    func ref(_ input: String, _ name: String) throws -> Tensor { try DINOv3Fixture.tensor(io, "\(input).\(name)") }

    @Test(arguments: inputs) func patchEmbeddingAndTokens(_ input: String) throws {
        let (patches, rows, cols) = try descriptor.patchTokens(DINOv3Descriptor.normalise(ref(input, "image")))
        let image = try ref(input, "image")
        #expect(rows == image.height / 16 && cols == image.width / 16)
        expectClose(patches, try ref(input, "patch_embed"), atol: 1e-5, rtol: 1e-5, "\(input) patch embedding")
        expectClose(try descriptor.withPrefix(ref(input, "patch_embed")), try ref(input, "tokens"), atol: 0, rtol: 0, "\(input) tokens")
    }

    @Test(arguments: inputs) func ropeTables(_ input: String) throws {
        let image = try ref(input, "image")
        let rope = try descriptor.rotary(rows: image.height / 16, cols: image.width / 16)
        // float32 angles up to 2π and sinf/cosf against torch's vectorised sin/cos: a few ulp of 1.
        expectClose(rope.sin, try ref(input, "rope.sin"), atol: 1e-6, rtol: 0, "\(input) rope sin")
        expectClose(rope.cos, try ref(input, "rope.cos"), atol: 1e-6, rtol: 0, "\(input) rope cos")
    }

    @Test(arguments: inputs) func everyBlock(_ input: String) throws {
        let rope = try RotaryEmbedding(sin: ref(input, "rope.sin"), cos: ref(input, "rope.cos"))
        let workspace = Workspace()
        #expect(descriptor.blocks.count == shape.blocksRun)
        for (i, block) in descriptor.blocks.enumerated() {
            let x = try ref(input, i == 0 ? "tokens" : "block.\(i - 1)").copy()
            let y = try block(x, workspace: workspace, rotary: rope)
            expectClose(y, try ref(input, "block.\(i)"), atol: 1e-5, rtol: 1e-5, "\(input) block \(i)")
        }
    }

    @Test(arguments: inputs) func selectedLayersEndToEnd(_ input: String) throws {
        let outputs = try descriptor(ref(input, "image"))
        #expect(outputs.count == shape.layers.count)
        for (j, out) in outputs.enumerated() {
            let expected = try ref(input, "out.\(j)")
            expectClose(out, expected, atol: 1e-5, rtol: 1e-5, "\(input) layer \(shape.layers[j])")
            printDifference("\(input) layer \(shape.layers[j]) mean", meanDifference(out.array, expected.array))
        }
    }

    @Test func stopsAtTheLastSelectedLayer() throws {
        // Layers [1] only: two blocks loaded and run, same first output as the full run.
        var early = shape
        early.layers = [shape.layers[0]]
        let d = try DINOv3Descriptor(DINOv3Fixture.reader(), shape: early)
        #expect(d.blocks.count == shape.layers[0] + 1)
        let out = try d(ref("sq", "image"))
        #expect(out.count == 1)
        expectClose(out[0], try ref("sq", "out.0"), atol: 1e-5, rtol: 1e-5, "sq layer \(early.layers[0]) alone")
    }

    @Test func vitl16Shape() {
        let s = DINOv3Shape.vitl16
        #expect(s.embedDim == 1024 && s.depth == 24 && s.heads == 16 && s.headDim == 64 && s.patch == 16)
        #expect(s.storageTokens == 4 && s.layers == [11, 17] && s.blocksRun == 18 && s.normEps == 1e-5)
    }

    @Test func clearErrors() throws {
        // A weight file of another width: the message names the key and both shapes.
        var wide = shape
        wide.embedDim = 64
        let error = #expect(throws: (any Error).self) { try DINOv3Descriptor(DINOv3Fixture.reader(), shape: wide) }
        #expect("\(error!)".contains("f.patch_embed.proj.weight"), "\(error!)")
        // Wrong prefix: names the missing key.
        let missing = #expect(throws: (any Error).self) {
            try DINOv3Descriptor(LayerReader(try StateDict.load(DINOv3Fixture.directory + "/weights.safetensors"), "g."), shape: shape)
        }
        #expect("\(missing!)".contains("g.patch_embed.proj.weight"), "\(missing!)")
        // Layers beyond the depth, unsorted layers, heads not dividing the width by 4.
        for bad in [DINOv3Shape(embedDim: 32, depth: 4, heads: 2, layers: [1, 4]),
                    DINOv3Shape(embedDim: 32, depth: 4, heads: 2, layers: [3, 1]),
                    DINOv3Shape(embedDim: 32, depth: 4, heads: 3, layers: [1])] {
            #expect(throws: RoMaError.self) { try DINOv3Descriptor(DINOv3Fixture.reader(), shape: bad) }
        }
        // Inputs: not [1, 3, H, W], or smaller than a patch.
        #expect(throws: RoMaError.self) { try descriptor(Tensor(zeros: [1, 1, 32, 32])) }
        #expect(throws: RoMaError.self) { try descriptor(Tensor(zeros: [1, 3, 8, 32])) }
    }
}
