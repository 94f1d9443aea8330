import ArgumentParser
import Foundation
import Parallel

/// Process-level fuzzing of every reader: seeded damage to valid inputs, each case one
/// run of the `roma` executable, so crashes the in-process fuzz tests cannot survive
/// (a trap from `try!`, a signal, an out-of-memory kill, a hang) are caught too.
struct FuzzBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz every reader through the roma executable for a bounded time (make fuzz).",
        discussion: """
        Each case damages a valid seed input (bit flips, extreme bytes, repeated or \
        deleted runs, truncation; hostile tokens in text) and runs the consuming `roma` \
        command on it. A case passes when roma exits 0 (the damage left the input valid) \
        or 1 (3 for a cleanly failed estimate) within the time limit; on a non-zero exit \
        the message must name the input's folder and no output nor temporary file may be \
        left behind. A failing case is kept under WORK/failures with the command that \
        reproduces it. The same --seed replays the same cases. See docs/bad-input.md.
        """
    )

    @Option(help: "Total time budget in seconds, shared equally by the targets.")
    var seconds: Double = 60

    @Option(help: "Seed of the whole run (printed; the same seed replays the same cases).")
    var seed: UInt64 = 19

    @Option(help: "Only these targets (comma-separated); default all. --list shows them.")
    var targets: String?

    @Flag(help: "List the targets and exit.")
    var list = false

    @Option(help: "The roma executable under test.")
    var roma: String = ".build/release/roma"

    @Option(help: "Committed test fixtures (the seed inputs come from there).")
    var fixtures: String = "Tests/Fixtures"

    @Option(help: "Work folder: corpus, one folder per running case, failures/.")
    var work: String = "runs/fuzz"

    @Option(help: "Seconds before a case counts as a hang.")
    var caseTimeout: Double = 30

    func run() throws {
        if list {
            for t in FuzzCorpus.targets { print("\(t.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(t.reader)") }
            return
        }
        let chosen = try selectedTargets()
        guard FileManager.default.isExecutableFile(atPath: roma) else {
            throw ValidationError("no roma executable at \(roma); build first (make build)")
        }
        let root = URL(fileURLWithPath: work).standardizedFileURL.path
        let romaPath = URL(fileURLWithPath: roma).standardizedFileURL.path
        let corpus = root + "/corpus"
        try FuzzCorpus.build(in: corpus, fixtures: fixtures)
        let perTarget = seconds / Double(chosen.count)
        print("fuzz: seed \(seed), \(chosen.count) targets × \(String(format: "%.1f", perTarget)) s, roma \(romaPath)")
        var failures = 0
        for target in chosen {
            var cases = 0, outcomes: [Int32: Int] = [:]
            let start = Date()
            // At least three cases per target, however small the budget.
            while cases < 3 || Date().timeIntervalSince(start) < perTarget {
                let caseSeed = SplitMix64.mix(seed &+ SplitMix64.mix(UInt64(truncatingIfNeeded: target.name.hashValueStable)) &+ UInt64(cases))
                let verdict = try runCase(target, caseSeed: caseSeed, number: cases, corpus: corpus, root: root, roma: romaPath)
                if case .exited(let code) = verdict.ending { outcomes[code, default: 0] += 1 }
                if let problem = verdict.problem {
                    failures += 1
                    print("FAIL \(target.name) case \(cases) (seed \(seed)): \(problem)\n  reproduce: \(verdict.reproducer)")
                }
                cases += 1
            }
            let summary = outcomes.keys.sorted().map { "exit \($0): \(outcomes[$0]!)" }.joined(separator: ", ")
            print("\(target.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(cases) cases in \(String(format: "%.1f", Date().timeIntervalSince(start))) s (\(summary))")
        }
        if failures > 0 {
            print("fuzz: \(failures) failing cases, kept under \(root)/failures")
            throw ExitCode(1)
        }
        print("fuzz: no failures")
    }

    private func selectedTargets() throws -> [FuzzTarget] {
        guard let targets else { return FuzzCorpus.targets }
        let names = targets.split(separator: ",").map(String.init)
        let unknown = names.filter { n in !FuzzCorpus.targets.contains { $0.name == n } }
        guard unknown.isEmpty else { throw ValidationError("unknown fuzz target(s) \(unknown.joined(separator: ", ")); see --list") }
        return FuzzCorpus.targets.filter { names.contains($0.name) }
    }

    struct Verdict {
        var ending: ChildRun.Ending
        var problem: String?
        var reproducer: String
    }

    private func runCase(_ target: FuzzTarget, caseSeed: UInt64, number: Int, corpus: String, root: String, roma: String) throws -> Verdict {
        let fm = FileManager.default
        let folder = root + "/cases/\(target.name)-\(number)"
        try? fm.removeItem(atPath: folder)
        try fm.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        for helper in FuzzCorpus.helperFiles { try fm.copyItem(atPath: corpus + "/" + helper, toPath: folder + "/" + helper) }
        try fm.createDirectory(atPath: folder + "/folder.png", withIntermediateDirectories: true)  // a folder where a file belongs

        var mutator = Mutator(seed: caseSeed)
        let seedName = target.seeds[mutator.below(target.seeds.count)]
        let original = try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + seedName))
        let damaged: Data
        switch target.damage {
        case .binary: damaged = mutator.binary(original)
        case .text: damaged = mutator.text(String(decoding: original, as: UTF8.self),
                                           paths: ["folder.png", folder + "/folder.png", "missing.png", "/dev/null", "input-pairs.txt"])
        }
        let input = folder + "/input-" + seedName
        try damaged.write(to: URL(fileURLWithPath: input))
        let output = folder + "/out/result" + (target.name == "pair-list" ? ".json" : ".safetensors")
        let arguments = target.arguments(input, folder, output)
        let run = try ChildProcess.run(roma, arguments, in: folder, timeout: caseTimeout)

        var problem: String?
        switch run.ending {
        case .timedOut: problem = "no exit within \(caseTimeout) s (hang)"
        case .signal(let s): problem = "killed by signal \(s) (crash)"
        case .exited(let code) where code != 1 && !target.allowedExits.contains(code):
            problem = "exit \(code); expected \(target.allowedExits.union([1]).sorted())"
        case .exited(let code) where code != 0:
            let written = (try? fm.contentsOfDirectory(atPath: folder + "/out")) ?? []
            if !run.stderr.contains(folder) {
                problem = "the message does not name the input: \(run.stderr.prefix(300))"
            } else if !written.isEmpty && !(code == 3 && written == ["result.safetensors"]) {
                // Exit 3 (a failed estimate) writes its artifact on purpose; nothing else may be left.
                problem = "exit \(code) left files behind: \(written)"
            }
        case .exited(0) where target.truncationIsInvalid && mutator.truncated:
            problem = "a truncated input was accepted (exit 0)"
        default:
            let leftovers = ((try? fm.contentsOfDirectory(atPath: folder + "/out")) ?? []).filter { $0.hasPrefix(".") }
            if !leftovers.isEmpty { problem = "temporary files left behind: \(leftovers)" }
        }
        let quoted = arguments.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
        if problem != nil {
            let kept = root + "/failures/\(target.name)-seed\(seed)-case\(number)"
            try? fm.createDirectory(atPath: root + "/failures", withIntermediateDirectories: true)
            try? fm.removeItem(atPath: kept)
            try fm.moveItem(atPath: folder, toPath: kept)
            let reproducer = "cd \(kept) && \(roma) " + quoted.replacingOccurrences(of: folder, with: kept)
            return Verdict(ending: run.ending, problem: problem, reproducer: reproducer)
        }
        try? fm.removeItem(atPath: folder)
        return Verdict(ending: run.ending, problem: nil, reproducer: "")
    }
}

extension String {
    /// FNV-1a: `hashValue` changes from run to run, and a target's cases must not.
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
