import ArgumentParser
import Artifacts
import Foundation
import Geometry
import Sampling

/// `roma-bench startup`: wall time of whole `roma` processes on tiny inputs, where
/// start-up (loading shared libraries, Swift runtime, argument parsing) dominates.
struct StartupBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "Median wall time of `roma estimate` on a 10-match file and `roma sample` on a 32² warp (start-up cost)."
    )

    @Option(help: "Runs per command (the median is reported).")
    var runs = 20

    @Option(help: "The roma executable (default: next to roma-bench).")
    var roma: String?

    func run() throws {
        let executable = roma ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roma").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no roma executable at \(executable); build it first (make build) or pass --roma")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roma-bench-startup-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let pair = SyntheticPair.make(scene: .allCases[0], count: 10, noise: 0.5, outlierRatio: 0, seed: 0)
        try pair.matches.artifact.write(to: folder + "/m.safetensors")
        try SyntheticWarp.projective(width: 32, height: 32).artifact.write(to: folder + "/w.safetensors")
        let k = { (k: CameraIntrinsics) in "\(k.fx),\(k.fy),\(k.cx),\(k.cy)" }
        let commands: [(String, [String])] = [
            ("roma --version", ["--version"]),
            ("roma estimate (10 matches)", ["estimate", folder + "/m.safetensors", "--K-a", k(pair.intrinsicsA), "--K-b", k(pair.intrinsicsB),
                                           "-o", folder + "/p.safetensors"]),
            ("roma sample (32² warp, 10 matches)", ["sample", folder + "/w.safetensors", "--num", "10", "-o", folder + "/s.safetensors"]),
        ]
        // The same commands with the OpenCV shim preloaded reproduce what every stage
        // paid when `roma` linked OpenCV: the same ~145 libraries loaded and relocated at start.
        let shim = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("libRomaOpenCV.so").path
        let variants: [(String, [String: String])] = [("as built", [:])]
            + (FileManager.default.fileExists(atPath: shim) ? [("OpenCV preloaded (as when roma linked it)", ["LD_PRELOAD": shim])] : [])
        print("start-up of \(executable): median of \(runs) runs each; wall time depends on load (load average \(loadAverage())), "
              + "CPU time (user + system) much less")
        for (variant, environment) in variants {
            print("  \(variant):")
            for (label, arguments) in commands {
                var wall: [Double] = [], cpu: [Double] = []
                for _ in 0..<runs {
                    let t = try spawnAndWait(executable, arguments, environment: environment)
                    wall.append(t.wall)
                    cpu.append(t.cpu)
                }
                print(String(format: "    %@ wall median %6.1f ms (min %6.1f), CPU median %6.1f ms", label.padding(toLength: 36, withPad: " ", startingAt: 0),
                             1000 * median(wall), 1000 * wall.min()!, 1000 * median(cpu)))
            }
        }
    }

    /// Wall and CPU (user + system) seconds of one run, output discarded; a non-zero exit is an error.
    private func spawnAndWait(_ path: String, _ arguments: [String], environment extra: [String: String]) throws -> (wall: Double, cpu: Double) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        var env = ProcessInfo.processInfo.environment
        env.merge(extra) { $1 }
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let code = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard code == 0 else { throw ValidationError("cannot start \(path): \(String(cString: strerror(code)))") }
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == 0 else { throw ValidationError("\(path) \(arguments.joined(separator: " ")) failed (status \(status))") }
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return (wall, cpu)
    }

    private func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}
