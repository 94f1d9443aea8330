import Foundation
import NN

/// The GEMM backends side by side at the matrix shapes RoMa's layers hand to
/// `GEMM.sgemm`, each shape timed in alternating rounds so every backend sees the
/// same machine load. Part of `roma-bench ops`.
extension OpsBench {
    struct GemmShape {
        let name: String
        let m, n, k: Int
        var transB = false
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// m × n × k as the callers pass them (row-major; transB where the caller transposes).
    static let gemmShapes: [GemmShape] = [
        GemmShape(name: "square 2048³", m: 2048, n: 2048, k: 2048),
        GemmShape(name: "ViT-L qkv 1601×3072×1024 (Bᵀ)", m: 1601, n: 3072, k: 1024, transB: true),
        GemmShape(name: "ViT-L mlp fc1 1601×4096×1024 (Bᵀ)", m: 1601, n: 4096, k: 1024, transB: true),
        GemmShape(name: "ViT-L mlp fc2 1601×1024×4096 (Bᵀ)", m: 1601, n: 1024, k: 4096, transB: true),
        GemmShape(name: "ViT-L q·kᵀ 1601×1601×64 (Bᵀ)", m: 1601, n: 1601, k: 64, transB: true),
        GemmShape(name: "ViT-L p·v 1601×64×1601", m: 1601, n: 64, k: 1601),
        GemmShape(name: "conv1x1 1377→1377 @35² (1377×1225×1377)", m: 1377, n: 1225, k: 1377),
        GemmShape(name: "conv1x1 569→569 @140² (569×19600×569)", m: 569, n: 19600, k: 569),
        GemmShape(name: "conv1x1 144→144 @280² (144×78400×144)", m: 144, n: 78400, k: 144),
        GemmShape(name: "im2col 3×3 128→128 band (128×2048×1152)", m: 128, n: 2048, k: 1152),
        GemmShape(name: "winograd 64→64 band (64×4096×64)", m: 64, n: 4096, k: 64),
        GemmShape(name: "winograd 512→512 @70² (512×1225×512)", m: 512, n: 1225, k: 512),
    ]

    func compareGemmBackends(machine: MachinePeak) throws {
        let backends = GEMM.Backend.allCases.filter(GEMM.isAvailable)
        let shapes = Self.gemmShapes.filter { s in filter.map { s.name.contains($0) } ?? true }
        guard backends.count > 1, !shapes.isEmpty else {
            if shapes.isEmpty { return }
            print("\nGEMM backends: only \(backends.map(\.rawValue)) available here (oneDNN: Debian libdnnl2)")
            return
        }
        // On a shared machine the wall time mostly measures how much of the cores we got;
        // the process's CPU time per GEMM does not, so the share of the one-core peak per
        // CPU-second (FLOPs / CPU seconds / one-thread fp32 peak) compares backends
        // under load too. It also charges a backend for its threads' spinning.
        let corePeak = machine.single[.fmaAVX512] ?? machine.single[.fmaAVX2]
        print("\nGEMM backends (GEMM.sgemm; default here: \(GEMM.backend.rawValue)): best wall ms, best CPU ms (all threads),"
              + " and FLOPs per CPU-second as % of the one-thread fp32 peak" + (corePeak.map { String(format: " (%.0f GFLOP/s)", $0) } ?? ""))
        var header = pad("shape", 46)
        for b in backends { header += pad(b.rawValue + " ms", 13) + pad("CPU ms", 9) + pad("% core", 8) }
        print(header + "wall speed-up \(backends[backends.count - 1].rawValue) vs \(backends[0].rawValue)")
        for s in shapes {
            let a = random([s.m, s.k], seed: 30), b = random(s.transB ? [s.n, s.k] : [s.k, s.n], seed: 31)
            let c = Tensor(uninitialized: [s.m, s.n])
            let runs = backends.map { backend in
                {
                    GEMM.sgemm(transB: s.transB, m: s.m, n: s.n, k: s.k, a: a.pointer, lda: s.k, b: b.pointer,
                               ldb: s.transB ? s.k : s.n, c: c.pointer, ldc: s.n, backend: backend)
                }
            }
            let times = try alternateAll(runs)
            var line = pad(s.name, 46)
            for t in times {
                line += pad(String(format: "%.2f", t.wall * 1e3), 13) + pad(String(format: "%.2f", t.cpu * 1e3), 9)
                    + pad(corePeak.map { String(format: "%.0f%%", 100 * s.flops / t.cpu / 1e9 / $0) } ?? "–", 8)
            }
            print(line + String(format: "%.2f×", times[0].wall / times[times.count - 1].wall))
        }
    }

    /// Best wall and best process CPU time of each body over `repeats` rounds that run
    /// them in turn, after one warm-up each.
    func alternateAll(_ bodies: [() throws -> Void]) throws -> [(wall: Double, cpu: Double)] {
        for body in bodies { try body() }
        var best = [(wall: Double, cpu: Double)](repeating: (.infinity, .infinity), count: bodies.count)
        for _ in 0..<repeats {
            for (i, body) in bodies.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds, cpu = processCPUSeconds()
                try body()
                best[i].cpu = min(best[i].cpu, processCPUSeconds() - cpu)
                best[i].wall = min(best[i].wall, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        return best
    }

    /// CPU time of every thread of this process (ns resolution).
    func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
