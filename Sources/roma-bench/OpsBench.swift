import ArgumentParser
import CLinearAlgebra
import Foundation
import NN
import Parallel

/// `roma-bench ops` (make bench-ops): achieved GFLOP/s of the NN runtime's GEMM-heavy
/// operators at the shapes RoMa runs them, beside `cblas_sgemm`'s own measured peak,
/// all in one run so the ratios compare like with like.
struct OpsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Tensor operator throughput (GFLOP/s) vs the measured cblas_sgemm peak, at RoMa's shapes.")

    @Option(help: "Threads for our loops and OpenBLAS (default: ROMA_THREADS or all cores).")
    var threads: Int?

    @Option(help: "Timed rounds per case (each beside one peak GEMM) after one warm-up; the fastest of each is used (least disturbed by other load).")
    var repeats: Int = 5

    @Option(help: "Side of the square matrices used to measure the cblas_sgemm peak.")
    var peakSize: Int = 2048

    @Option(help: "Run only the cases whose name contains this text (the peak is always measured).")
    var filter: String?

    @Flag(help: "Only the smaller cases (for a quick check); the full set takes about two minutes on 2 cores.")
    var quick = false

    @Flag(help: "Only the table of RoMa v2's bf16 linears with weights packed per call vs once (OpsBenchBF16Packing.swift).")
    var packingOnly = false

    @Flag(help: "Only the GEMM backends table (OpenBLAS, our AVX-512 kernel, oneDNN at RoMa's GEMM shapes).")
    var gemmOnly = false

    @Flag(help: "Only the kernel paths table (whole convolutions and attention with their GEMMs on each backend).")
    var pathsOnly = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard peakSize >= 64 else { throw ValidationError("--peak-size must be at least 64") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        Threads.configure(requested: threads)
        print("roma-bench ops: \(Threads.count) thread(s), best of \(repeats) after one warm-up; GEMM backend \(GEMM.backend.rawValue); load \(MachinePeak.loadAverage())")
        let machine = MachinePeak.measure(threads: Threads.count, repeats: 40)
        print(machine.summary())
        if gemmOnly { return try compareGemmBackends(machine: machine) }
        if pathsOnly { return try compareKernelPaths(machine: machine) }
        if packingOnly { return try compareBF16Packing() }
        // On a shared machine the load changes from second to second, so each case is
        // timed in rounds that alternate with the peak GEMM: the case's best time is
        // compared with the best peak time taken beside it, not with a peak measured
        // minutes earlier. The highest peak seen anywhere is printed for reference.
        let n = peakSize
        let a = random([n, n], seed: 20), b = random([n, n], seed: 21), c = Tensor(uninitialized: [n, n])
        let peakFlops = 2.0 * Double(n) * Double(n) * Double(n)
        let peakRun = {
            Threads.withConfiguredBLAS {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                            1, a.pointer, Int32(n), b.pointer, Int32(n), 0, c.pointer, Int32(n))
            }
        }
        let cases = try cases().filter { c in filter.map { c.name.contains($0) } ?? true }
        var rows: [(Case, seconds: Double, peak: Double)] = []
        for c in cases {
            let (caseTime, peakTime) = try alternate(c.run, peakRun)
            rows.append((c, caseTime, peakFlops / peakTime / 1e9))
        }
        var best = rows.map(\.peak).max() ?? 0
        if rows.isEmpty { best = peakFlops / (try alternate(peakRun, peakRun).0) / 1e9 }
        print(String(format: "cblas_sgemm peak (%d³): up to %.1f GFLOP/s; each case is compared with the peak measured beside it\n", n, best))
        print(pad("case", 44) + pad("GFLOP", 9) + pad("ms", 10) + pad("GFLOP/s", 10) + pad("sgemm", 8) + pad("% sgemm", 9)
              + pad("% fp32 peak", 13) + "target (% sgemm)")
        for (c, r, peak) in rows {
            let gflops = c.flops / r / 1e9
            let share = 100 * gflops / peak
            let verdict = c.target.map { share >= $0 ? "≥ \(Int($0))% ok" : "≥ \(Int($0))% MISSED" } ?? ""
            print(pad(c.name, 44) + pad(String(format: "%.2f", c.flops / 1e9), 9) + pad(String(format: "%.2f", r * 1e3), 10)
                  + pad(String(format: "%.1f", gflops), 10) + pad(String(format: "%.1f", peak), 8)
                  + pad(String(format: "%.0f%%", share), 9)
                  + pad(machine.fp32.map { String(format: "%.0f%%", 100 * gflops / $0) } ?? "–", 13) + verdict)
        }
        try compareConvAlgorithms()
        try compareGemmBackends(machine: machine)
        try compareKernelPaths(machine: machine)
        try compareBF16(machine: machine)
        try compareBF16Packing()
    }

    struct Case {
        let name: String
        let flops: Double
        let target: Double?
        let run: () throws -> Void
    }

    /// The shapes RoMa runs (romatch 0.1.2, 560×560 coarse input, refiners per
    /// roma_models.py: depthwise 5×5 + 1×1 blocks at widths 1377/1101/569/144/24 on
    /// the 1/16…1/1 grids; VGG19-BN 3×3 convs; DINOv2 ViT-L/14: 1024 wide, 16 heads,
    /// 40×40 + 1 = 1601 tokens).
    func cases() throws -> [Case] {
        let ws = Workspace()
        var list: [Case] = []
        // FLOPs are always those of the direct convolution (2·Cout·Cin/groups·k²·Ho·Wo), also for
        // Winograd, which issues fewer: its GFLOP/s is "effective" and may exceed the sgemm peak.
        func conv(_ name: String, c: Int, o: Int, h: Int, w: Int, k: Int, groups: Int = 1, target: Double?,
                  algorithm: ConvAlgorithm = .automatic) {
            let x = random([1, c, h, w], seed: 1), weight = random([o, c / groups, k, k], seed: 2), bias = random([o], seed: 3)
            let out = Tensor(uninitialized: [1, o, h, w])
            let flops = 2.0 * Double(o) * Double(c / groups) * Double(k * k) * Double(h * w)
            list.append(Case(name: name, flops: flops, target: target) {
                _ = try conv2d(x, weight: weight, bias: bias, padding: k / 2, groups: groups, into: out, workspace: ws,
                               algorithm: algorithm)
            })
        }
        // 1×1 convolutions of the refiners (target ≥ 70 % of peak).
        conv("conv1x1 refiner16 1377→1377 @35×35", c: 1377, o: 1377, h: 35, w: 35, k: 1, target: 70)
        conv("conv1x1 refiner4 569→569 @140×140", c: 569, o: 569, h: 140, w: 140, k: 1, target: 70)
        if !quick { conv("conv1x1 refiner2 144→144 @280×280", c: 144, o: 144, h: 280, w: 280, k: 1, target: 70) }
        // 3×3 convolutions of VGG19-BN through im2col (target ≥ 50 %); conv2d runs all but
        // VGG's first layer as Winograd, compared with im2col in the table after this one.
        conv("conv3x3 vgg 64→64 @280×280 im2col", c: 64, o: 64, h: 280, w: 280, k: 3, target: 50, algorithm: .im2col)
        conv("conv3x3 vgg 128→128 @140×140 im2col", c: 128, o: 128, h: 140, w: 140, k: 3, target: 50, algorithm: .im2col)
        if !quick {
            conv("conv3x3 vgg 256→256 @140×140 im2col", c: 256, o: 256, h: 140, w: 140, k: 3, target: 50, algorithm: .im2col)
            conv("conv3x3 vgg 512→512 @70×70 im2col", c: 512, o: 512, h: 70, w: 70, k: 3, target: 50, algorithm: .im2col)
        }
        // Depthwise 5×5 of the refiners: memory-bound, no GEMM, so no peak target.
        conv("dw5x5 refiner16 1377 @35×35", c: 1377, o: 1377, h: 35, w: 35, k: 5, groups: 1377, target: nil)
        conv("dw5x5 refiner4 569 @140×140", c: 569, o: 569, h: 140, w: 140, k: 5, groups: 569, target: nil)
        if !quick { conv("dw5x5 refiner2 144 @280×280", c: 144, o: 144, h: 280, w: 280, k: 5, groups: 144, target: nil) }

        // ViT-L linears at 1601 tokens (target ≥ 70 %).
        let tokens = 1601, width = 1024, heads = 16
        let x = random([1, tokens, width], seed: 4)
        for (name, out) in [("linear ViT-L qkv 1024→3072", 3 * width), ("linear ViT-L mlp 1024→4096", 4 * width),
                            ("linear ViT-L proj 1024→1024", width)] {
            let w = random([out, width], seed: 5), b = random([out], seed: 6)
            let y = Tensor(uninitialized: [1, tokens, out])
            list.append(Case(name: name + " ×\(tokens)", flops: 2.0 * Double(tokens * width * out), target: 70) {
                _ = try linear(x, weight: w, bias: b, into: y, workspace: ws)
            })
        }
        let mlpIn = random([1, tokens, 4 * width], seed: 7), w2 = random([width, 4 * width], seed: 8)
        let y2 = Tensor(uninitialized: [1, tokens, width])
        list.append(Case(name: "linear ViT-L mlp 4096→1024 ×\(tokens)", flops: 2.0 * Double(tokens * width * 4 * width), target: 70) {
            _ = try linear(mlpIn, weight: w2, bias: nil, into: y2, workspace: ws)
        })

        // Attention at ViT-L shapes: the SDPA core alone, and the whole MHSA layer.
        let d = width / heads
        let q = random([1, heads, tokens, d], seed: 9), k = random([1, heads, tokens, d], seed: 10), v = random([1, heads, tokens, d], seed: 11)
        let o = Tensor(uninitialized: [1, heads, tokens, d])
        let sdpaFlops = 4.0 * Double(heads) * Double(tokens) * Double(tokens) * Double(d)
        list.append(Case(name: "sdpa ViT-L 16 heads × \(tokens)² × 64", flops: sdpaFlops, target: nil) {
            _ = try scaledDotProductAttention(q: q, k: k, v: v, into: o, workspace: ws)
        })
        let qkvW = random([3 * width, width], seed: 12), projW = random([width, width], seed: 13)
        let qkvB = random([3 * width], seed: 14), projB = random([width], seed: 15)
        let ya = Tensor(uninitialized: [1, tokens, width])
        let mhsaFlops = sdpaFlops + 2.0 * Double(tokens * width) * Double(4 * width)
        list.append(Case(name: "mhsa ViT-L (qkv + sdpa + proj)", flops: mhsaFlops, target: nil) {
            _ = try multiHeadSelfAttention(x, qkvWeight: qkvW, qkvBias: qkvB, projWeight: projW, projBias: projB,
                                           heads: heads, into: ya, workspace: ws)
        })
        return list
    }

    /// One 3×3 convolution timed through both algorithms.
    struct Pair {
        let name: String
        let flops: Double
        let im2col: () throws -> Void
        let winograd: () throws -> Void
    }

    /// VGG19-BN `features[:40]`'s distinct 3×3 convolutions on one 560×560 image (the
    /// coarse input; the fine 864² one has the same layers on 2.4× the pixels).
    func vggPairs() -> [Pair] {
        let ws = Workspace()
        let layers: [(c: Int, o: Int, side: Int)] = [(3, 64, 560), (64, 64, 560), (64, 128, 280), (128, 128, 280),
                                                     (128, 256, 140), (256, 256, 140), (256, 512, 70), (512, 512, 70)]
        return layers.enumerated().filter { !quick || $0.offset == 3 || $0.offset == 7 }.map { _, l in
            let x = random([1, l.c, l.side, l.side], seed: 1), weight = random([l.o, l.c, 3, 3], seed: 2), bias = random([l.o], seed: 3)
            let out = Tensor(uninitialized: [1, l.o, l.side, l.side])
            func run(_ algorithm: ConvAlgorithm) throws {
                _ = try conv2d(x, weight: weight, bias: bias, padding: 1, into: out, workspace: ws, algorithm: algorithm)
            }
            return Pair(name: "conv3x3 vgg \(l.c)→\(l.o) @\(l.side)²", flops: 2.0 * Double(l.o * l.c * 9) * Double(l.side * l.side),
                        im2col: { try run(.im2col) }, winograd: { try run(.winograd) })
        }
    }

    /// im2col vs Winograd per VGG layer, timed in alternating rounds so both see the same
    /// machine load. GFLOP/s counts the direct convolution's FLOPs for both ("effective"
    /// for Winograd, which multiplies 2.25× less).
    func compareConvAlgorithms() throws {
        let pairs = vggPairs().filter { p in filter.map { p.name.contains($0) } ?? true }
        guard !pairs.isEmpty else { return }
        print("\n3×3 convolutions, im2col vs Winograd F(2×2, 3×3) (alternating rounds; FLOPs of the direct convolution)")
        // CPU ms: the process's CPU time (all threads) in the same best round; under load it moves far less than wall time.
        print(pad("case", 36) + pad("GFLOP", 8) + pad("im2col ms", 11) + pad("GFLOP/s", 9) + pad("winograd ms", 13) + pad("GFLOP/s", 9)
              + pad("speed-up", 10) + pad("im2col CPU ms", 15) + "winograd CPU ms")
        var totals = (im2col: 0.0, winograd: 0.0, im2colCPU: 0.0, winogradCPU: 0.0)
        for p in pairs {
            let best = try withoutActuallyEscaping(p.im2col) { i in try withoutActuallyEscaping(p.winograd) { w in try alternateAll([i, w]) } }
            let (i, w) = (best[0].wall, best[1].wall)
            totals.im2col += i; totals.winograd += w; totals.im2colCPU += best[0].cpu; totals.winogradCPU += best[1].cpu
            print(pad(p.name, 36) + pad(String(format: "%.2f", p.flops / 1e9), 8)
                  + pad(String(format: "%.2f", i * 1e3), 11) + pad(String(format: "%.1f", p.flops / i / 1e9), 9)
                  + pad(String(format: "%.2f", w * 1e3), 13) + pad(String(format: "%.1f", p.flops / w / 1e9), 9)
                  + pad(String(format: "%.2f×", i / w), 10) + pad(String(format: "%.2f", best[0].cpu * 1e3), 15)
                  + String(format: "%.2f", best[1].cpu * 1e3))
        }
        print(pad("sum of the rows above", 44) + pad(String(format: "%.2f", totals.im2col * 1e3), 20)
              + pad(String(format: "%.2f", totals.winograd * 1e3), 22) + pad(String(format: "%.2f×", totals.im2col / totals.winograd), 10)
              + pad(String(format: "%.2f", totals.im2colCPU * 1e3), 15) + String(format: "%.2f", totals.winogradCPU * 1e3))
    }

    /// Best times of `body` and `reference` over `repeats` alternating rounds, after one warm-up of each.
    func alternate(_ body: () throws -> Void, _ reference: () throws -> Void) throws -> (Double, Double) {
        let best = try withoutActuallyEscaping(body) { body in
            try withoutActuallyEscaping(reference) { reference in try alternateAll([reference, body]) }
        }
        return (best[1].wall, best[0].wall)
    }

    /// Deterministic values in [−1, 1) from a SplitMix64 stream (contents do not
    /// affect speed, but a fixed seed keeps runs identical).
    func random(_ shape: [Int], seed: UInt64) -> Tensor {
        let t = Tensor(uninitialized: shape)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        for i in 0..<t.count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            t.pointer[i] = Float(z >> 40) / Float(1 << 23) - 1
        }
        return t
    }

    func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
