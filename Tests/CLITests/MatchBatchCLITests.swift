import Foundation
import Testing
import TestSupport

/// `roma match --batch` as a user runs it: list errors name the line, a finished list
/// needs no weights. (Bit-identity with single runs: RoMaTests/BatchMatchTests.)
@Suite(.enabled(if: RomaCLI.isBuilt, "needs the built roma executable"))
struct MatchBatchCLITests {
    @Test func badListsAndFinishedLists() throws {
        let folder = TestPaths.scratch("batch-cli")
        let list = folder + "/pairs.txt"
        try "# a comment\n\na.decoded b.decoded\n".write(toFile: list, atomically: true, encoding: .utf8)
        let bad = try RomaCLI.run(["match", "--batch", list])
        #expect(bad.status == 1 && bad.stderr.contains("\(list): line 3: expected 3 paths"), "\(bad.stderr)")
        let both = try RomaCLI.run(["match", "--batch", list, "a", "b"])
        #expect(both.status == 64 && both.stderr.contains("--batch"))
        // Every warp exists and is newer than its inputs: nothing to do, so no weights are
        // looked for (the cache here is empty and downloads are impossible).
        for name in ["a.decoded", "b.decoded", "ab.warp"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        try "\(folder)/a.decoded \(folder)/b.decoded \(folder)/ab.warp # done\n".write(toFile: list, atomically: true, encoding: .utf8)
        let done = try RomaCLI.run(["match", "--batch", list], environment: ["ROMA_WEIGHTS": folder, "PATH": "/nonexistent"])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("0 pairs matched, 1 already done"))
        // A missing input is named with its line before any weights are loaded.
        try "\(folder)/a.decoded \(folder)/missing.decoded \(folder)/am.warp\n".write(toFile: list, atomically: true, encoding: .utf8)
        let missing = try RomaCLI.run(["match", "--batch", list])
        #expect(missing.status == 1 && missing.stderr.contains("missing.decoded: does not exist (pair list line 1)"), "\(missing.stderr)")
    }
}
