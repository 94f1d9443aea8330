import Artifacts
import Evaluation
import Foundation
import Testing
import TestSupport
@testable import Interop

/// hloc's files through the real client: h5py writes them, `roma import hloc` reads
/// them; `roma export hloc` writes, h5py reads.
@Suite("hloc files with h5py", .enabled(if: PythonClients.shouldRun, Comment(rawValue: PythonClients.skipReason ?? "needs the built roma executable")))
struct HlocClientTests {
    @Test("every hloc layout h5py writes imports exactly, keypoints shifted by +0.5 px")
    func importsLayouts() throws {
        let folder = TestPaths.scratch("hloc-import")
        let written = try PythonClients.run("hloc_files.py", ["write", folder])
        try #require(written.status == 0, "\(written.stderr)")
        let result = try roma(["import", "hloc", "--features", folder + "/features.h5", "--matches", folder + "/matches.h5",
                               "--pairs", folder + "/pairs.txt", "-o", folder + "/out"])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("4 pairs (dense, sparse)"))
        // Pairs: sparse int16 matches with float16 scores; sparse stored in reverse order;
        // sparse under the old `a_b` name; dense stored in reverse order. Names hold '/'.
        for id in ["0000", "0001", "0002", "0003"] {
            let got = try Matches.read("\(folder)/out/\(id).matches.safetensors")
            let want = try Matches.read("\(folder)/expected/\(id).matches.safetensors")
            #expect(got.count > 10)
            // Exact: hloc's float32 + 0.5 is representable in the F64 artifact.
            #expect(got.pointsA == want.pointsA && got.pointsB == want.pointsB && got.certainty == want.certainty, "pair \(id)")
        }
    }

    @Test("malformed hloc files: one clear line naming the file, exit 1, nothing written")
    func badFiles() throws {
        let folder = TestPaths.scratch("hloc-bad")
        let written = try PythonClients.run("hloc_files.py", ["write", folder])
        try #require(written.status == 0, "\(written.stderr)")
        let cases: [(variant: String, problem: String)] = [
            ("dtype", "expected integers"), ("shape", "one entry per keypoint of scene/a.jpg"), ("range", "is out of range"),
            ("missing", "no matches for pair '0002'"), ("foreign", "is not in an hloc layout"),
        ]
        for (variant, problem) in cases {
            let d = "\(folder)/bad-\(variant)"
            let r = try roma(["import", "hloc", "--features", d + "/features.h5", "--matches", d + "/matches.h5", "--pairs", d + "/pairs.txt", "-o", d + "/out"])
            #expect(r.status == 1 && r.stderr.contains(d + "/matches.h5") && r.stderr.contains(problem), "\(variant): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: d + "/out"), "\(variant) wrote output")
        }
        // A truncated copy, a text file, and the sparse layout without its features file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/matches.h5"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: folder + "/truncated.h5"))
        try Data("name0 name1\n".utf8).write(to: URL(fileURLWithPath: folder + "/text.h5"))
        let more: [(arguments: [String], file: String, problem: String)] = [
            (["--features", folder + "/features.h5", "--matches", folder + "/truncated.h5"], "truncated.h5", "truncated or corrupt"),
            (["--features", folder + "/text.h5", "--matches", folder + "/matches.h5"], "text.h5", "not an HDF5 file"),
            (["--matches", folder + "/matches.h5"], "matches.h5", "give the features file too"),
        ]
        for (arguments, file, problem) in more {
            let r = try roma(["import", "hloc"] + arguments + ["--pairs", folder + "/pairs.txt", "-o", folder + "/out"])
            #expect(r.status == 1 && r.stderr.contains(file) && r.stderr.contains(problem), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
        }
    }

    @Test("h5py reads `roma export hloc` as hloc does: same matches, keypoints −0.5 px")
    func exportReadByH5py() throws {
        let folder = TestPaths.scratch("hloc-export")
        let run = try SmallSyntheticRun(folder: folder)
        let export = try roma(["export", "hloc", "--pairs", run.manifest, "--matches", run.matches, "--cell", "0", "-o", folder + "/hloc"])
        try #require(export.status == 0, "\(export.stderr)")
        let check = try PythonClients.run("hloc_files.py", ["check-export", folder + "/hloc", run.manifest, run.matches])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        // And back: importing our own export gives the same coordinates.
        let back = try roma(["import", "hloc", "--features", folder + "/hloc/features.h5", "--matches", folder + "/hloc/matches.h5",
                             "--pairs", run.manifest, "-o", folder + "/back"])
        try #require(back.status == 0, "\(back.stderr)")
        for id in run.pairIDs {
            let original = try Matches.read("\(run.matches)/\(id).matches.safetensors")
            let roundTrip = try Matches.read("\(folder)/back/\(id).matches.safetensors")
            #expect(original.pointsA == roundTrip.pointsA && original.pointsB == roundTrip.pointsB)
        }
    }

    @Test("a benchmark from hloc files gives the same errors and AUC as the same matches as safetensors")
    func benchmarkThroughHloc() throws {
        let runs = TestPaths.scratch("hloc-bench")
        let common = ["BENCH=synthetic", "SYNTH_PAIRS=3", "WARP_SIZE=96", "RUNS=\(runs)", "ROMA=\(TestPaths.romaExecutable!)"]
        func make(_ extra: [String]) throws -> Subprocess.Output {
            try Subprocess.run("/usr/bin/env", ["make", "--no-print-directory", "eval-run"] + common + extra, directory: TestPaths.packageRoot.path)
        }
        // SIFT's native matches: not perfect, so the AUC says something.
        let sift = try make(["MATCHER=sift"])
        try #require(sift.status == 0, "\(sift.stderr)")
        let siftRun = "\(runs)/synthetic-p3-s0-w96/sift/native"
        let export = try roma(["export", "hloc", "--pairs", siftRun + "/ransac-t0.5-seed0/pairs.json", "--matches", siftRun + "/r0",
                               "--cell", "0", "-o", runs + "/hloc"])
        try #require(export.status == 0, "\(export.stderr)")
        let h5 = try make(["MATCHER=h5", "FEATURES=\(runs)/hloc/features.h5", "MATCHES=\(runs)/hloc/matches.h5"])
        try #require(h5.status == 0, "\(h5.stderr)")
        let a = try BenchmarkResults.read(siftRun + "/ransac-t0.5-seed0/results.safetensors")
        let b = try BenchmarkResults.read("\(runs)/synthetic-p3-s0-w96/h5-matches/native/ransac-t0.5-seed0/results.safetensors")
        #expect(a.pairIDs == b.pairIDs && a.rotationErrors == b.rotationErrors && a.translationErrors == b.translationErrors)
        #expect(a.auc == b.auc, "safetensors \(a.auc) vs hloc files \(b.auc)")
        #expect(a.auc[0] < 1, "SIFT on the synthetic set should not be perfect; the comparison would say little")
    }
}
