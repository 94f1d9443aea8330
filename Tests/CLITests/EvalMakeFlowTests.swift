import Foundation
import Testing
import TestSupport

/// eval/eval.mk's RoMa flow around `roma match --batch`, with the batch played by a
/// stand-in that copies the synthetic set's ground-truth warps (the real batch needs
/// the full-size weights): one batch for all pairs, resume, WARPS=drop and compact,
/// SHARD. Every other stage is the real `roma`.
@Suite(.enabled(if: RomaCLI.isBuilt, "needs the built roma executable"))
struct EvalMakeFlowTests {
    struct Run {
        let folder: String
        var calls: String { folder + "/batch-calls" }

        init() throws {
            folder = TestPaths.scratch("eval-flow")
            let roma = TestPaths.romaExecutable!
            // Copies the truth warp <data>/<pair>.warp.safetensors for every listed pair
            // whose output is missing, and logs its command line and list.
            let script = """
            #!/bin/sh
            if [ "$1" = match ] && [ "$2" = --batch ]; then
              { echo "CALL $*"; grep -v '^#' "$3"; } >> \(folder)/batch-calls
              grep -v '^#' "$3" | while read a b out; do
                [ -n "$out" ] && [ ! -f "$out" ] && cp "$(dirname "$a")/../data/$(basename "$out")" "$out"
              done
              exit 0
            fi
            exec \(roma) "$@"
            """
            try script.write(toFile: folder + "/roma", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/roma")
        }

        /// Exit status and make's output (both streams).
        func make(_ vars: String...) throws -> (status: Int32, stdout: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/make")
            process.arguments = ["-s", "--no-print-directory", "-C", TestPaths.packageRoot.path, "eval-run", "BENCH=synthetic", "MATCHER=roma",
                                 "SYNTH_PAIRS=3", "WARP_SIZE=64", "RUNS=\(folder)/runs", "ROMA=\(folder)/roma"] + vars
            let out = Pipe()
            process.standardOutput = out
            process.standardError = out
            let exited = DispatchSemaphore(value: 0)
            process.terminationHandler = { _ in exited.signal() }
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            exited.wait()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        func batchCalls() -> [String] {
            ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        var bench: String { folder + "/runs/synthetic-p3-s0-w64" }
        func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: bench + "/" + relative) }
    }

    @Test func oneBatchResumeAndShards() throws {
        let run = try Run()
        // Shard 2/3 first: its one pair (0001) in a list of its own.
        var r = try run.make("SHARD=2/3", "NUM=500")
        #expect(r.status == 0, "\(r.stdout)")
        #expect(run.batchCalls().count == 2 && run.batchCalls()[0].contains("roma/warps/batch-2of3.txt"))
        #expect(run.batchCalls()[1].hasSuffix("roma/warps/0001.warp.safetensors"))
        // The whole run: one batch listing all three pairs; the shard's warp is not redone.
        try FileManager.default.removeItem(atPath: run.calls)
        let before = try FileManager.default.attributesOfItem(atPath: run.bench + "/roma/warps/0001.warp.safetensors")[.modificationDate] as? Date
        r = try run.make("NUM=500")
        #expect(r.status == 0, "\(r.stdout)")
        #expect(run.batchCalls().count == 4 && run.batchCalls()[0].contains("--cache-mb 4096"))
        #expect(before == (try FileManager.default.attributesOfItem(atPath: run.bench + "/roma/warps/0001.warp.safetensors")[.modificationDate] as? Date))
        #expect(run.exists("roma/n500-seed0/ransac-t0.5-seed0/results.safetensors"))
        // Nothing left: nothing is redone (make may start the batch, which finds every
        // warp newer than its inputs; the shard's warp is older than other pairs' images).
        let results = run.bench + "/roma/n500-seed0/ransac-t0.5-seed0/results.safetensors"
        let resultsDate = try FileManager.default.attributesOfItem(atPath: results)[.modificationDate] as? Date
        r = try run.make("NUM=500")
        #expect(r.status == 0, "\(r.stdout)")
        #expect(resultsDate == (try FileManager.default.attributesOfItem(atPath: results)[.modificationDate] as? Date))
        // A lost warp is remade by the batch, and the stages below it rerun.
        try FileManager.default.removeItem(atPath: run.bench + "/roma/warps/0002.warp.safetensors")
        try? FileManager.default.removeItem(atPath: run.calls)
        r = try run.make("NUM=500")
        #expect(r.status == 0 && run.batchCalls().count == 4, "\(r.stdout)")
        #expect(resultsDate != (try FileManager.default.attributesOfItem(atPath: results)[.modificationDate] as? Date))
    }

    @Test func dropAndCompact() throws {
        let run = try Run()
        var r = try run.make("WARPS=drop", "NUM=500")
        #expect(r.status == 0, "\(r.stdout)")
        // Every warp went once its five samples existed; the results are there.
        #expect(!run.exists("roma/warps/0000.warp.safetensors") && run.exists("roma/warps/0000.dropped"))
        #expect(run.exists("roma/n500-seed0/r4/0000.matches.safetensors"))
        #expect(run.exists("roma/n500-seed0/ransac-t0.5-seed0/results.safetensors"))
        // Rerun: the samples are up to date, so the dropped warps are not remade.
        try FileManager.default.removeItem(atPath: run.calls)
        r = try run.make("WARPS=drop", "NUM=500")
        #expect(r.status == 0 && run.batchCalls().isEmpty, "\(r.stdout)")
        // One sample lost: only that pair is matched again.
        try FileManager.default.removeItem(atPath: run.bench + "/roma/n500-seed0/r2/0001.matches.safetensors")
        r = try run.make("WARPS=drop", "NUM=500")
        #expect(r.status == 0 && run.batchCalls().count == 2 && run.batchCalls()[1].hasSuffix("0001.warp.safetensors"), "\(run.batchCalls())")
        // compact: its own folder and the batch's option.
        try FileManager.default.removeItem(atPath: run.calls)
        r = try run.make("WARPS=compact", "NUM=500")
        #expect(r.status == 0 && run.batchCalls().first?.contains("--warp-encoding compact") == true, "\(r.stdout)")
        #expect(run.exists("roma/warps-compact/0000.warp.safetensors"))
        let bad = try run.make("WARPS=some")
        #expect(bad.status != 0 && bad.stdout.contains("WARPS=some is not one of keep, drop, compact"))
    }

    /// MATCHER=roma2 goes through the same batch rule: one `roma match --batch --model roma2`
    /// for the run (the model loaded once), images decoded at their own size into decoded-own/.
    @Test func roma2MatchesInOneBatch() throws {
        let run = try Run()
        var r = try run.make("MATCHER=roma2", "ROMA2_SETTING=turbo", "NUM=500")
        #expect(r.status == 0, "\(r.stdout)")
        let calls = run.batchCalls()
        #expect(calls.count == 4 && calls[0].contains("roma2-turbo-bf16/warps/batch.txt")
                && calls[0].contains("--model roma2 --setting turbo --precision bf16"), "\(calls)")
        #expect(calls.dropFirst().allSatisfy { $0.contains("/decoded-own/") }, "\(calls)")
        #expect(run.exists("roma2-turbo-bf16/n500-seed0/ransac-t0.5-seed0/results.safetensors"))
        let decoded = try String(contentsOfFile: run.bench + "/decoded-own/" + (try FileManager.default.contentsOfDirectory(atPath: run.bench + "/decoded-own").sorted()[0]), encoding: .isoLatin1)
        #expect(decoded.contains("original") && !decoded.contains("pillow-bicubic"), "decoded at the image's own size (--preset roma2)")
        // compact: its own folder and the batch's option.
        try FileManager.default.removeItem(atPath: run.calls)
        r = try run.make("MATCHER=roma2", "ROMA2_SETTING=turbo", "NUM=500", "WARPS=compact")
        #expect(r.status == 0 && run.batchCalls().first?.contains("--warp-encoding compact --model roma2") == true, "\(r.stdout)")
        #expect(run.exists("roma2-turbo-bf16/warps-compact/0000.warp.safetensors"))
    }

    /// PRECISION is shared by eval (checked against MATCHER) and `make bench-match MODEL=roma2`,
    /// which names no MATCHER: the check must stop a bad eval and leave the bench alone.
    @Test func precisionForEvalAndBench() throws {
        func dryRun(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/make")
            process.arguments = ["-n", "-s", "--no-print-directory", "-C", TestPaths.packageRoot.path] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let bench = try dryRun(["bench-match", "MODEL=roma2", "SETTING=precise", "PRECISION=bf16"])
        #expect(bench.status == 0 && bench.output.contains("match  --model roma2 --setting precise --precision bf16"), "\(bench.output)")
        let fp32 = try dryRun(["bench-match", "MODEL=roma2"])
        #expect(fp32.status == 0 && !fp32.output.contains("--precision"), "\(fp32.output)")
        let bad = try dryRun(["eval-run", "BENCH=synthetic", "MATCHER=sift", "PRECISION=bf16"])
        #expect(bad.status != 0 && bad.output.contains("PRECISION=bf16 applies to MATCHER=roma or roma2 only"), "\(bad.output)")
    }
}
