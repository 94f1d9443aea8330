import Artifacts
import Foundation
@testable import Checkpoint
import TestSupport

/// Paths and helpers shared by the checkpoint tests. The fixtures are written by
/// scripts/fixtures/make_checkpoint_fixtures.py with torch.save itself.
enum Fixtures {
    static func path(_ name: String) -> String { TestPaths.fixture("checkpoint/" + name) }

    /// The expected values: every tensor of the reference state dict made
    /// contiguous and converted to float32 by torch.
    static func expected() throws -> Artifact { try Artifact.read(path("expected_f32.safetensors")) }

    /// A copy of the first `count` bytes of a fixture, in a scratch folder.
    static func truncated(_ name: String, to count: Int) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        let out = TestPaths.scratch("ckpt-trunc") + "/" + name
        try data.prefix(count).write(to: URL(fileURLWithPath: out))
        return out
    }

    /// The message of the error `body` throws, or nil when it does not throw.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return String(describing: error)
        }
    }
}
