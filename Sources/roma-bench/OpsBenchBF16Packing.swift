import CKernels
import Foundation
import NN
import Parallel

/// `roma-bench ops --packing-only` (and the last table of `roma-bench ops`): RoMa v2's bf16
/// linears in torch's order (`linearBF16TorchOrder`) at their full-size shapes, with the
/// weight packed on every call (the `weight:` form) against packed once (`BF16PackedLinear`,
/// what the bf16 model holds since it loads), and the packing alone, on all threads (as
/// `BF16PackedLinear` packs) and on one (the per-call form before it was parallel).
extension OpsBench {
    func compareBF16Packing() throws {
        let ws = Workspace()
        // DINOv3 ViT-L/16 on an 800² image: 50² patches + 5 prefix tokens; the matcher's ViT-B on
        // both views' 50² tokens at once (its global blocks; the per-view blocks are [2, 2500]).
        let shapes: [(name: String, rows: Int, inF: Int, outF: Int, callsPerPair: Int)] = [
            ("DINOv3 qkv 1024→3072", 2505, 1024, 3072, 36), ("DINOv3 proj 1024→1024", 2505, 1024, 1024, 36),
            ("DINOv3 fc1 1024→4096", 2505, 1024, 4096, 36), ("DINOv3 fc2 4096→1024", 2505, 4096, 1024, 36),
            ("ViT-B qkv 768→2304", 5000, 768, 2304, 12), ("ViT-B proj 768→768", 5000, 768, 768, 12),
            ("ViT-B fc1 768→3072", 5000, 768, 3072, 12), ("ViT-B fc2 3072→768", 5000, 3072, 768, 12),
            ("ViT-B projector 2048→768", 5000, 2048, 768, 1), ("ViT-B output 768→1024", 5000, 768, 1024, 1),
        ].filter { c in filter.map { c.0.contains($0) || "packing".contains($0) } ?? true }
        guard !shapes.isEmpty else { return }
        print("\nbf16 linears in torch's order (RoMa v2, mega1500 shapes), \(Threads.count) thread(s): weight packed per call vs once; the packing alone")
        print(pad("case", 36) + pad("per call ms", 13) + pad("packed ms", 11) + pad("pack ms (all)", 15) + pad("pack ms (1)", 13)
              + "calls/pair at mega1500")
        var saved = 0.0
        for s in shapes {
            let x = random([1, s.rows, s.inF], seed: 31), w = random([s.outF, s.inF], seed: 32), b = random([s.outF], seed: 33)
            let y = Tensor(uninitialized: [1, s.rows, s.outF])
            let packed = try BF16PackedLinear(weight: w, bias: b)
            let pairs = (s.inF + 1) / 2, groups = (s.outF + 15) / 16
            let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: groups * pairs * 32)
            defer { scratch.deallocate() }
            let best = try alternateAll([
                { _ = try linearBF16TorchOrder(x, weight: w, bias: b, into: y, workspace: ws) },
                { _ = try linearBF16TorchOrder(x, packed: packed, into: y, workspace: ws) },
                { _ = try BF16PackedLinear(weight: w, bias: b) },
                { roma_bf16_pack_pairs(w.pointer, s.inF, s.outF, s.inF, scratch) },
            ])
            saved += Double(s.callsPerPair) * (best[0].wall - best[1].wall)
            print(pad(s.name + " ×\(s.rows)", 36) + best.map { pad(String(format: "%.2f", $0.wall * 1e3), 13) }.joined()
                  + "\(s.callsPerPair)")
        }
        print(String(format: "per call − packed, times the calls of one mega1500 pair: %.2f s of wall time", saved))
    }
}
