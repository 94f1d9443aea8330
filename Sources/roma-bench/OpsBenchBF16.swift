import Foundation
import NN

/// The bf16 table of `roma-bench ops`: each GEMM-shaped op RoMa runs at bf16, timed in
/// rounds alternating with the same op at fp32, as GFLOP/s and as a share of the measured
/// all-threads AVX512-BF16 dot peak (`roma-bench peak`), beside the fp32 time.
extension OpsBench {
    func compareBF16(machine: MachinePeak) throws {
        let ws = Workspace()
        var cases: [(name: String, flops: Double, run: (Precision) throws -> Void)] = []
        func conv(_ name: String, c: Int, o: Int, h: Int, w: Int, k: Int, groups: Int = 1, algorithm: ConvAlgorithm = .automatic) {
            let x = random([1, c, h, w], seed: 1), weight = random([o, c / groups, k, k], seed: 2), bias = random([o], seed: 3)
            let out = Tensor(uninitialized: [1, o, h, w])
            cases.append((name, 2.0 * Double(o) * Double(c / groups) * Double(k * k) * Double(h * w), { p in
                _ = try conv2d(x, weight: weight, bias: bias, padding: k / 2, groups: groups, into: out, workspace: ws,
                               algorithm: algorithm, precision: p)
            }))
        }
        conv("conv1x1 refiner16 1377→1377 @35×35", c: 1377, o: 1377, h: 35, w: 35, k: 1)
        conv("conv1x1 refiner4 569→569 @140×140", c: 569, o: 569, h: 140, w: 140, k: 1)
        // VGG's 3×3 layers run Winograd at both precisions (bf16: in fp32 on rounded operands);
        // the im2col rows (bf16: on the bf16 GEMM) show the alternative that lost.
        for (c, h) in [(64, 280), (256, 140)] {
            conv("conv3x3 vgg \(c)→\(c) @\(h)×\(h) winograd", c: c, o: c, h: h, w: h, k: 3)
            conv("conv3x3 vgg \(c)→\(c) @\(h)×\(h) im2col", c: c, o: c, h: h, w: h, k: 3, algorithm: .im2col)
        }
        conv("dw5x5 refiner4 569 @140×140", c: 569, o: 569, h: 140, w: 140, k: 5, groups: 569)
        let tokens = 1601, width = 1024, heads = 16
        let x = random([1, tokens, width], seed: 4), hidden = random([1, tokens, 4 * width], seed: 7)
        for (name, input, inF, outF) in [("linear ViT-L qkv 1024→3072", x, width, 3 * width),
                                          ("linear ViT-L mlp 1024→4096", x, width, 4 * width),
                                          ("linear ViT-L mlp 4096→1024", hidden, 4 * width, width)] {
            let w = random([outF, inF], seed: 5), b = random([outF], seed: 6), y = Tensor(uninitialized: [1, tokens, outF])
            cases.append((name + " ×\(tokens)", 2.0 * Double(tokens * inF * outF), { p in
                _ = try linear(input, weight: w, bias: b, into: y, workspace: ws, precision: p)
            }))
        }
        let qkvW = random([3 * width, width], seed: 12), projW = random([width, width], seed: 13)
        let qkvB = random([3 * width], seed: 14), projB = random([width], seed: 15), ya = Tensor(uninitialized: [1, tokens, width])
        let mhsaFlops = 4.0 * Double(heads * tokens * tokens * (width / heads)) + 2.0 * Double(tokens * width) * Double(4 * width)
        cases.append(("mhsa ViT-L (qkv + attention + proj)", mhsaFlops, { p in
            _ = try multiHeadSelfAttention(x, qkvWeight: qkvW, qkvBias: qkvB, projWeight: projW, projBias: projB,
                                           heads: heads, into: ya, workspace: ws, precision: p)
        }))

        let selected = cases.filter { c in filter.map { c.name.contains($0) || "bf16".contains($0) } ?? true }
        guard !selected.isEmpty else { return }
        let dot = machine.all[.dotBF16]
        print("\nbf16 precision mode (GEMMs: \(BF16.backend.rawValue)), alternating rounds with fp32; % of the all-threads "
              + (dot.map { String(format: "AVX512-BF16 dot peak (%.0f GFLOP/s)", $0) } ?? "bf16 dot peak (not measured here)"))
        print(pad("case", 46) + pad("fp32 ms", 10) + pad("bf16 ms", 10) + pad("bf16/fp32", 11) + pad("bf16 GFLOP/s", 14) + "% bf16 peak")
        for c in selected {
            let (bf16, fp32) = try alternate({ try c.run(.bf16) }, { try c.run(.fp32) })
            let rate = c.flops / bf16 / 1e9
            print(pad(c.name, 46) + pad(String(format: "%.2f", fp32 * 1e3), 10) + pad(String(format: "%.2f", bf16 * 1e3), 10)
                  + pad(String(format: "%.2f×", bf16 / fp32), 11) + pad(String(format: "%.1f", rate), 14)
                  + (dot.map { String(format: "%.0f%%", 100 * rate / $0) } ?? "–"))
        }
    }
}
