import Foundation
import NN

/// Whole operators (not bare GEMMs) on each GEMM backend, as % of the measured peak:
/// the 1×1, im2col and Winograd convolutions and attention at RoMa's shapes, each run
/// with every one of its GEMMs on OpenBLAS, our AVX-512 kernel and oneDNN in turn
/// (`GEMM.withBackend`), in alternating rounds. Part of `roma-bench ops`.
extension OpsBench {
    struct KernelPathCase {
        let name: String
        /// FLOPs of the direct computation (direct convolution for Winograd, as elsewhere).
        let flops: Double
        let run: () throws -> Void
    }

    func kernelPathCases() -> [KernelPathCase] {
        let ws = Workspace()
        func conv(_ name: String, c: Int, o: Int, side: Int, k: Int, algorithm: ConvAlgorithm) -> KernelPathCase {
            let x = random([1, c, side, side], seed: 40), w = random([o, c, k, k], seed: 41), b = random([o], seed: 42)
            let out = Tensor(uninitialized: [1, o, side, side])
            return KernelPathCase(name: name, flops: 2.0 * Double(o * c * k * k) * Double(side * side)) {
                _ = try conv2d(x, weight: w, bias: b, padding: k / 2, into: out, workspace: ws, algorithm: algorithm)
            }
        }
        let (tokens, heads, d) = (1601, 16, 64)
        let q = random([1, heads, tokens, d], seed: 43), k = random([1, heads, tokens, d], seed: 44)
        let v = random([1, heads, tokens, d], seed: 45), o = Tensor(uninitialized: [1, heads, tokens, d])
        return [
            conv("conv1x1 569→569 @140²", c: 569, o: 569, side: 140, k: 1, algorithm: .automatic),
            conv("conv3x3 im2col 128→128 @140²", c: 128, o: 128, side: 140, k: 3, algorithm: .im2col),
            conv("conv3x3 winograd 128→128 @140²", c: 128, o: 128, side: 140, k: 3, algorithm: .winograd),
            conv("conv3x3 winograd 64→64 @280²", c: 64, o: 64, side: 280, k: 3, algorithm: .winograd),
            KernelPathCase(name: "sdpa ViT-L 16 × 1601² × 64", flops: 4.0 * Double(heads * tokens * tokens * d)) {
                _ = try scaledDotProductAttention(q: q, k: k, v: v, into: o, workspace: ws)
            },
        ]
    }

    func compareKernelPaths(machine: MachinePeak) throws {
        let backends = GEMM.Backend.allCases.filter(GEMM.isAvailable)
        let cases = kernelPathCases().filter { c in filter.map { c.name.contains($0) } ?? true }
        guard !cases.isEmpty else { return }
        let corePeak = machine.single[.fmaAVX512] ?? machine.single[.fmaAVX2]
        print("\nKernel paths: whole operators with their GEMMs on each backend (alternating rounds): GFLOP/s (wall),"
              + " % of the all-threads fp32 peak" + (machine.fp32.map { String(format: " (%.0f GFLOP/s)", $0) } ?? "")
              + ", and FLOPs per CPU-second as % of the one-thread peak" + (corePeak.map { String(format: " (%.0f)", $0) } ?? ""))
        var header = pad("operator", 34)
        for b in backends { header += pad(b.rawValue + " GFLOP/s", 18) + pad("% peak", 8) + pad("% core", 8) }
        print(header)
        for c in cases {
            let runs = backends.map { backend in { try GEMM.withBackend(backend) { try c.run() } } }
            let times = try alternateAll(runs)
            var line = pad(c.name, 34)
            for t in times {
                let rate = c.flops / t.wall / 1e9
                line += pad(String(format: "%.1f", rate), 18) + pad(machine.fp32.map { String(format: "%.0f%%", 100 * rate / $0) } ?? "–", 8)
                    + pad(corePeak.map { String(format: "%.0f%%", 100 * c.flops / t.cpu / 1e9 / $0) } ?? "–", 8)
            }
            print(line)
        }
    }
}
