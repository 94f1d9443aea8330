import Parallel
import Foundation
import Testing
@testable import Checkpoint
import TestSupport

/// Random damage to real checkpoints must give errors or correct values, never a
/// crash: the reader is the first thing to touch a file from the internet.
@Suite struct CorruptionFuzzTests {
    @Test(arguments: ["state_dict.pt", "state_dict_p4.pt", "state_dict.safetensors"])
    func damagedFilesNeverCrash(_ name: String) throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name)))
        let folder = TestPaths.scratch("ckpt-fuzz")
        var random = SplitMix64(seed: 0x5EED)  // same bytes damaged on every run
        var outcomes = (errors: 0, loaded: 0)
        for trial in 0..<200 {
            var bytes = [UInt8](original)
            // 1 to 4 damaged bytes: set to a random value, or to 0xFF/0x00 which
            // turn lengths and counts into extremes.
            for _ in 0..<(1 + Int(random.next() % 4)) {
                // Half the damage goes to the first and last 600 bytes, where the pickle,
                // the zip's central directory and the safetensors header live.
                let at: Int
                switch random.next() % 4 {
                case 0: at = Int(random.next() % UInt64(min(600, bytes.count)))
                case 1: at = bytes.count - 1 - Int(random.next() % UInt64(min(600, bytes.count)))
                default: at = Int(random.next() % UInt64(bytes.count))
                }
                switch random.next() % 3 {
                case 0: bytes[at] = 0xFF
                case 1: bytes[at] = 0x00
                default: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            // One trial in eight also cuts the file short.
            if random.next() % 8 == 0 { bytes.removeLast(Int(random.next() % UInt64(bytes.count))) }
            let path = "\(folder)/\(trial)-\(name)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let dict = try StateDict.load(path)
                for key in dict.keys { _ = try dict.tensor(key) }
                outcomes.loaded += 1
            } catch {
                #expect(String(describing: error).hasPrefix(path), "\(error)")
                outcomes.errors += 1
            }
        }
        // Most damage lands in tensor bytes, caught by the CRC in zips; both outcomes must occur.
        #expect(outcomes.errors > 0)
    }
}
