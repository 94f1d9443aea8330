// Hot inner loops of the NN runtime in C, so they can use the AVX2/FMA or AVX-512
// instructions of the machine they run on while the package itself is built for
// baseline x86-64. Each entry point picks its instruction set once, at run time.
#ifndef ROMA_KERNELS_H
#define ROMA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Which instruction set the kernels use here: 0 baseline, 1 AVX2 + FMA, 2 AVX-512F.
/// ROMA_KERNELS=baseline|avx2|avx512 caps it (for tests and comparisons).
int roma_kernels_level(void);

/// One stride-1 depthwise plane from a zero-padded input plane:
/// out[oy, ox] = bias + Σ_{ki,kj} w[ki·kw + kj] · in[(oy + ki·d)·padded_w + ox + kj·d]
/// for oy < out_h, ox < out_w (in holds (out_h + (kh−1)·d) rows of padded_w floats);
/// relu ≠ 0 then replaces negative outputs by +0 (NaN and −0 pass, as torch's relu).
void roma_depthwise_plane_s1(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw, int dilation,
                             float bias, ptrdiff_t out_h, ptrdiff_t out_w, float *out, int relu);

/// Row softmax of rows [0, rows) of a matrix whose rows are `stride` floats apart
/// (dst may be src), as NN's Swift loop computes it: the row maximum ignoring NaN,
/// exp by a degree-6 polynomial after range reduction, then the sum's reciprocal.
/// Returns 0 when done, −1 when this machine has no vector path (the caller's own
/// loop then runs).
int roma_softmax_rows(const float *src, float *dst, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t stride);

/// GELU in its erf form over n elements (dst may be src); 0 when done, −1 as above.
int roma_gelu(const float *src, float *dst, ptrdiff_t n);
/// gelu(src + bias) row by row (bias has `cols` entries), AVX-512F; -1 when unavailable.
int roma_gelu_bias(const float *src, const float *bias, ptrdiff_t rows, ptrdiff_t cols, float *dst);

/// oneDNN's row-major sgemm, C = alpha·op(A)·op(B) + beta·C, on `threads` OpenMP
/// threads. oneDNN (libdnnl.so.2) is opened on first use and capped to the kernels
/// level (AVX2 at level 1, not used at level 0). Returns 0 when done, −1 when oneDNN
/// is not available here, 1 when it rejected the call.
int roma_onednn_available(void);
int roma_onednn_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                      float *c, ptrdiff_t ldc, int threads);

/// Our own AVX-512F sgemm, same contract as roma_onednn_sgemm but on the calling
/// thread only (callers split C into blocks per thread). Returns 0 when done, −1
/// below kernels level 2 (no AVX-512F, or capped), 1 when out of memory.
int roma_sgemm_avx512(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                      float *c, ptrdiff_t ldc);

/// Fused fp32 attention (attention512.c), AVX-512F only: softmax(scale·q·kᵀ)·v per
/// head. roma_attention_pack packs one head's k [m, d] and v [m, dv] (rows ldk, ldv
/// floats apart) into `packed` (roma_attention_packed_floats(m, d, dv) floats);
/// roma_attention_rows then computes `rows` query rows of q (ldq apart) into out (ldo
/// apart) on the calling thread, any number of threads sharing one packed head.
/// Both return 0 when done, −1 below kernels level 2; rows returns 1 when out of memory.
ptrdiff_t roma_attention_packed_floats(ptrdiff_t m, ptrdiff_t d, ptrdiff_t dv);
int roma_attention_pack(const float *k, ptrdiff_t ldk, const float *v, ptrdiff_t ldv, ptrdiff_t m, ptrdiff_t d,
                        ptrdiff_t dv, float *packed);
int roma_attention_rows(const float *q, ptrdiff_t ldq, ptrdiff_t rows, const float *packed, ptrdiff_t m, ptrdiff_t d,
                        ptrdiff_t dv, float scale, float *out, ptrdiff_t ldo);

/// Register-only throughput loops for `roma-bench peak`: kinds below. Runs `iterations`
/// rounds of twelve independent instructions and returns the floating-point operations
/// done (FMA: 2 per float lane; bf16 dot: 4 per float lane), or −1 when this CPU lacks
/// the instructions. `sink` (may be NULL) receives the result, so the work is kept.
/// Not capped by ROMA_KERNELS: it measures the machine.
enum { ROMA_PEAK_FMA_AVX2 = 0, ROMA_PEAK_FMA_AVX512 = 1, ROMA_PEAK_DOT_BF16 = 2 };
double roma_peak_loop(int kind, long iterations, float *sink);

/// bfloat16 (docs/runtime.md, "Precision"). roma_bf16_round: each float rounded to the
/// nearest bf16 value (ties to even, subnormals kept, NaN stays NaN), as torch's
/// float → bfloat16 conversion, stored back as float (dst may be src).
/// roma_bf16_pack: the same rounding, stored as bf16 bit patterns.
void roma_bf16_round(const float *src, float *dst, ptrdiff_t n);
void roma_bf16_pack(const float *src, uint16_t *dst, ptrdiff_t n);

/// torch 2.15's CPU layer norm, to the bit (torch_cpu.c): each row of `n` values normalised
/// with torch's float moments (cascaded Welford over 8-float vectors). `bf16`: x holds a bf16
/// tensor's values, y = (x·rstd − rstd·mean)·γ + β rounded to bf16; otherwise a float tensor,
/// y = (x − mean)·rstd·γ + β. gamma and beta are required. y may be x.
void roma_layer_norm_torch(const float *x, const float *gamma, const float *beta, ptrdiff_t rows, ptrdiff_t n, float eps,
                           int bf16, float *y);

/// torch 2.15's CPU nn.GELU() (erf form), to the bit (gelu_onednn.c): oneDNN 3.13's AVX-512
/// gelu_erf, a piecewise minimax polynomial. `bf16`: src holds a bf16 tensor's values and the
/// outputs are rounded to bf16 as oneDNN stores them (subnormals flushed to zero); otherwise
/// float in and out. dst may be src. The scalar form gives the same bits on any CPU.
void roma_gelu_onednn(const float *src, float *dst, ptrdiff_t n, int bf16);
void roma_gelu_onednn_scalar(const float *src, float *dst, ptrdiff_t n, int bf16);

/// oneDNN's bf16 GEMM (bf16 operands, fp32 accumulation and C), row-major, same
/// contract as roma_onednn_sgemm. Available only on AVX512-BF16 CPUs at kernels
/// level 2 with oneDNN present; returns −1 elsewhere.
int roma_bf16_hardware_available(void);
int roma_onednn_gemm_bf16(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                          const uint16_t *a, ptrdiff_t lda, const uint16_t *b, ptrdiff_t ldb, float beta,
                          float *c, ptrdiff_t ldc, int threads);

/// Winograd F(2×2, 3×3) transforms at 16 tiles per vector (NN's Winograd.swift has the
/// algebra and the Swift form, which gives the same bits). Both return 0 when done and
/// −1 below kernels level 2 (the caller's Swift loop then runs).
/// roma_winograd_input_row: for one input plane [h, w] and one tile row whose first
/// input row is iy0 (may be negative: zero padding), writes the 16 transformed values of
/// each of its tiles_w tiles to v[e·element_stride + tx]. `lines` is scratch of
/// 4 · roma_winograd_line_floats(tiles_w) floats.
ptrdiff_t roma_winograd_line_floats(ptrdiff_t tiles_w);
int roma_winograd_input_row(const float *plane, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad, ptrdiff_t iy0,
                            ptrdiff_t tiles_w, float *v, ptrdiff_t element_stride, float *lines);
/// roma_winograd_output_row: one tile row of one output channel from the GEMM results
/// m[e·element_stride + tx]: y = Aᵀ m A + bias, then max(0, y) when `relu` (NaN kept),
/// written to the out_w outputs of row0 and, unless row1 is NULL, of row1.
int roma_winograd_output_row(const float *m, ptrdiff_t element_stride, ptrdiff_t tiles_w, float bias, int relu,
                             float *row0, float *row1, ptrdiff_t out_w);

/// torch's fused CPU attention at bf16, its softmax steps (flash_bf16.c). Step, per row
/// r < rows of one key block's fp32 scores (row length cols, ld apart): scale them in place,
/// update row_max[r], replace them by their exp(s − max) rounded to bf16, update row_sum[r]
/// with the unrounded fp32 sum, and unless `first` rescale the fp32 accumulator row
/// acc[r·ld_acc, +dv) to the new maximum. Finish: out row = bf16(acc row · (1 / row_sum)).
void roma_flash_bf16_step(float *scores, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ld, float scale,
                          float *row_max, float *row_sum, float *acc, ptrdiff_t ld_acc, ptrdiff_t dv, int first);
/// Product: c[r·ldc + j] (+ when accumulate)= Σ_k a[r·lda + k]·b[k·ldb + j] over operands holding
/// bf16 values, summed as MKL's bf16 GEMM does in torch's fused attention (k in order, blocks of 192).
void roma_flash_bf16_product(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                             ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t k, int accumulate);
void roma_flash_bf16_finish(const float *acc, ptrdiff_t rows, ptrdiff_t dv, ptrdiff_t ld_acc, const float *row_sum,
                            float *out, ptrdiff_t ld_out);

/// torch's bf16 linear summation order (bf16_blocked.c): B [n, k] packed as VDPBF16PS pairs
/// (ceil(n/16)·ceil(k/2)·32 values), then rows [row_begin, row_end) of C = A·Bᵀ with each
/// output's products summed in K blocks of `block` (pairs in order within a block, blocks
/// left to right). A: bf16 bit patterns, lda ≥ k rounded up to even (zero-padded).
void roma_bf16_pack_pairs(const float *b, ptrdiff_t ldb, ptrdiff_t n, ptrdiff_t k, uint16_t *out);
void roma_bf16_gemm_blocked(const uint16_t *a, ptrdiff_t lda, const uint16_t *packed, float *c, ptrdiff_t ldc,
                            ptrdiff_t n, ptrdiff_t k, ptrdiff_t block, ptrdiff_t row_begin, ptrdiff_t row_end);


/// Moves the pages of [old, old + bytes) (inside one mapping) to new_address, replacing
/// whatever was mapped there, without copying or clearing them (pages.c: Linux mremap;
/// elsewhere it fails). Returns 0 on success, -1 otherwise.
int roma_move_pages(void *old_address, size_t bytes, void *new_address);
/// glibc's mmap and trim thresholds, fixed (mallopt); nothing elsewhere.
void roma_malloc_thresholds(int mmap_threshold, int trim_threshold);

#endif
