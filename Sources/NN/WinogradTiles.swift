import Foundation
import Parallel

// Winograd bands as independent jobs, one thread each (as AttentionTiles.swift does
// for attention): a thread takes the next band of tile rows, transforms its input,
// runs the 16 element GEMMs on its own (`GEMM.sgemmOnCallingThread`) and transforms
// the output, with its own V and M. The shared path runs each of those 18 steps on all
// threads in turn; at VGG's 864² input a 64→64 layer has 216 bands of 2 tile rows,
// so 3888 barriers, each GEMM only 7 MFLOP: on a loaded machine every barrier waits for
// the other thread's next time slice. Same arithmetic per band.

/// Winograd's bands run per thread unless `ROMA_WINOGRAD_BANDS=off` (attention's tiles stay
/// opt-in, `ROMA_ATTENTION_TILES=on`, AttentionTiles.swift). With the transforms in C
/// (CKernels/winograd.c) the shared path spent 1.6–1.9× the CPU time of this one on VGG's
/// layers (docs/runtime.md, "VGG's 3×3 convolutions").
let winogradBandsPerThreadEnabled = ProcessInfo.processInfo.environment["ROMA_WINOGRAD_BANDS"] != "off"

/// Runs `winogradConv2d`'s bands per thread; false (nothing done) when the GEMM has no
/// calling-thread path here or there is only one thread or one band.
func winogradBandsPerThread(_ x: Tensor, _ bias: Tensor?, _ g: ConvGeometry, _ out: Tensor, u: UnsafeMutablePointer<Float>,
                            bandRows: Int, tilesH: Int, tilesW: Int, relu: Bool = false) -> Bool {
    let bandsPerImage = (tilesH + bandRows - 1) / bandRows
    let jobs = g.batch * bandsPerImage
    let workers = min(Threads.count, jobs)
    guard GEMM.runsOnCallingThread, workers > 1 else { return false }
    let cin = g.inChannels, cout = g.outChannels
    let bandTiles = bandRows * tilesW
    let perWorker = 16 * (cin + cout) * bandTiles
    let (px, po, pu) = (SendablePointer(x.pointer), SendablePointer(out.pointer), SendablePointer(u))
    let plane = g.outHeight * g.outWidth
    let next = JobCounter()
    // The threads' V and M from the page pool, back to it when the call returns (not from the
    // caller's workspace: there the buffers grew with VGG's layers, each larger one taking
    // fresh pages, and sat idle in the workspace at the peak; docs/runtime.md, "Conv-side trims").
    MappedPages.withScratch(Float.self, count: workers * perWorker) { all in
        let scratch = SendablePointer(all)
        parallelFor(workers, threads: workers) { worker in
            let v = scratch.base + worker * perWorker, m = v + 16 * cin * bandTiles
            while let job = next.take(below: jobs) {
                let n = job / bandsPerImage, row0 = (job % bandsPerImage) * bandRows
                let rows = min(bandRows, tilesH - row0)
                let tiles = rows * tilesW
                let input = px.base + n * cin * g.height * g.width
                transformInput(input, g, firstTileRow: row0, tileRows: rows, tilesW: tilesW, into: v, threads: 1)
                for e in 0..<16 {
                    GEMM.sgemmOnCallingThread(m: cout, n: tiles, k: cin, a: pu.base + e * cout * cin, lda: cin,
                                              b: v + e * cin * tiles, ldb: tiles, c: m + e * cout * tiles, ldc: tiles)
                }
                transformOutput(m, bias, g, firstTileRow: row0, tileRows: rows, tilesW: tilesW,
                                into: po.base + n * cout * plane, relu: relu, threads: 1)
            }
        }
    }
    return true
}
