import CKernels
import Parallel

/// The arithmetic of a GEMM-shaped operator (`linear`, `matmul`, attention, `conv2d`),
/// chosen per call; every other operator computes in fp32.
///
/// `.bf16` follows torch's CPU autocast to bfloat16 (docs/runtime.md, "Precision"):
/// the operands (input, weight, bias) are rounded to bf16 with round-to-nearest-even,
/// products are accumulated in fp32, and the result is rounded to bf16, because under
/// autocast these ops return bf16 tensors. The result stays stored as Float (its low 16
/// bits zero), so the ops downstream take it as torch's fp32 ops take a bf16 tensor.
/// On CPUs with AVX512-BF16 (and oneDNN present) GEMMs run on `vdpbf16ps` through
/// oneDNN's bf16 GEMM; elsewhere, or under `ROMA_KERNELS=avx2|baseline`, the same
/// arithmetic is emulated: operands rounded in fp32 storage, then the fp32 GEMM, whose
/// products of two bf16 values are exact in fp32.
public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, bf16
}

/// bfloat16 conversions and the bf16 GEMM path.
public enum BF16 {
    public enum Backend: String, Sendable, CaseIterable {
        /// oneDNN's `dnnl_gemm_bf16bf16f32` on AVX512-BF16.
        case onednn
        /// fp32 GEMM on operands rounded to bf16 (any CPU).
        case emulated
    }

    /// The path bf16 GEMMs take in this process; `ROMA_KERNELS` below avx512 forces `emulated`.
    public static let backend: Backend = isAvailable(.onednn) ? .onednn : .emulated

    public static func isAvailable(_ backend: Backend) -> Bool {
        backend == .emulated || roma_bf16_hardware_available() != 0
    }

    /// `x` rounded to the nearest bf16 value (ties to even), as torch's `x.bfloat16().float()`.
    public static func round(_ x: Float) -> Float {
        var v = x, r: Float = 0
        roma_bf16_round(&v, &r, 1)
        return r
    }

    /// The bf16 bit pattern of `x` after that rounding.
    public static func bits(_ x: Float) -> UInt16 {
        var v = x, b: UInt16 = 0
        roma_bf16_pack(&v, &b, 1)
        return b
    }

    /// Every element rounded to bf16; `into: x` rounds in place.
    public static func round(_ x: Tensor, into: Tensor? = nil, workspace: Workspace? = nil) throws(NNError) -> Tensor {
        let out = try makeOutput("bf16 round", x.shape, into: into, workspace: workspace)
        roundRows(x.pointer, ld: x.count, rows: 1, columns: x.count, into: out.pointer, ldOut: x.count)
        return out
    }

    /// Elements below which rounding stays on the calling thread.
    static let parallelElements = 1 << 16

    /// Rows of a strided matrix rounded into another (may be the same pointer and ld).
    static func roundRows(_ src: UnsafePointer<Float>, ld: Int, rows: Int, columns: Int,
                          into dst: UnsafeMutablePointer<Float>, ldOut: Int) {
        let s = SendableConstPointer(src), d = SendablePointer(dst)
        forEachRun(rows: rows, columns: columns, ld: ld, ldOut: ldOut) { from, to, count in
            roma_bf16_round(s.base + from, d.base + to, count)
        }
    }

    /// Rows of a strided matrix rounded to contiguous bf16 bit patterns.
    static func packRows(_ src: UnsafePointer<Float>, ld: Int, rows: Int, columns: Int, into dst: UnsafeMutablePointer<UInt16>) {
        let s = SendableConstPointer(src), d = SendablePointer(dst)
        forEachRun(rows: rows, columns: columns, ld: ld, ldOut: columns) { from, to, count in
            roma_bf16_pack(s.base + from, d.base + to, count)
        }
    }

    /// `body(source offset, destination offset, count)` over the runs of a rows × columns
    /// matrix stored with leading dimensions ld and ldOut, on `Threads.count` threads when
    /// large: one run per thread when both are dense, else one per row.
    private static func forEachRun(rows: Int, columns: Int, ld: Int, ldOut: Int, _ body: @Sendable (Int, Int, Int) -> Void) {
        let n = rows * columns, threads = n < parallelElements ? 1 : Threads.count
        if ld == columns && ldOut == columns {
            parallelFor(threads, threads: threads) { p in
                let lo = n * p / threads, hi = n * (p + 1) / threads
                body(lo, lo, hi - lo)
            }
        } else {
            parallelFor(rows, threads: threads) { r in body(r * ld, r * ldOut, columns) }
        }
    }
}

extension GEMM {
    /// C = alpha·op(A)·op(B) + beta·C with A and B rounded to bf16 and fp32 accumulation
    /// (beta·C is added in fp32 as it is: round it first where it stands for a bf16
    /// bias). `roundOutput` rounds C to bf16 afterwards, as autocast's bf16 result; the
    /// tests turn it off to see the fp32 accumulation itself.
    static func bf16(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                     backend: BF16.Backend? = nil, roundOutput: Bool = true) {
        if m <= 0 || n <= 0 { return }
        // op(A) is stored as rowsA × colsA with leading dimension lda (likewise B).
        let (rowsA, colsA) = transA ? (k, m) : (m, k)
        let (rowsB, colsB) = transB ? (n, k) : (k, n)
        let path = k > 0 && BF16.isAvailable(backend ?? BF16.backend) ? backend ?? BF16.backend : .emulated
        var done = false
        if path == .onednn {
            // Packed operands from the page pool: a conv band's packed columns reach 100+ MB.
            done = MappedPages.withScratch(UInt16.self, count: rowsA * colsA) { pa in
                MappedPages.withScratch(UInt16.self, count: rowsB * colsB) { pb in
                    BF16.packRows(a, ld: lda, rows: rowsA, columns: colsA, into: pa)
                    BF16.packRows(b, ld: ldb, rows: rowsB, columns: colsB, into: pb)
                    return roma_onednn_gemm_bf16(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pa, colsA, pb, colsB,
                                                 beta, c, ldc, Int32(Threads.count)) == 0
                }
            }
        }
        if !done {
            MappedPages.withScratch(Float.self, count: rowsA * colsA) { ra in
                MappedPages.withScratch(Float.self, count: rowsB * colsB) { rb in
                    BF16.roundRows(a, ld: lda, rows: rowsA, columns: colsA, into: ra, ldOut: colsA)
                    BF16.roundRows(b, ld: ldb, rows: rowsB, columns: colsB, into: rb, ldOut: colsB)
                    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ra, lda: max(1, colsA),
                          b: rb, ldb: max(1, colsB), beta: beta, c: c, ldc: ldc)
                }
            }
        }
        if roundOutput { BF16.roundRows(c, ld: ldc, rows: m, columns: n, into: c, ldOut: ldc) }
    }
}
