// bf16 convolutions summed in the order torch 2.15's bundled oneDNN (3.13) sums them on
// AVX512-BF16, for RoMa v2 whose bf16 reference runs them (conv_bf16_torch.c). Apart from
// kernels.h so the two can change independently; same conventions.
#ifndef ROMA_CONV_TORCH_KERNELS_H
#define ROMA_CONV_TORCH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Pixels [p0, p1) of x [c][hw] (float32) as rows of bf16 bit patterns, cp ≥ c channels per
/// row (the channels past c zero): out[(p − p0)·cp + ch].
void roma_bf16_nchw_to_rows(const float *x, ptrdiff_t c, ptrdiff_t hw, ptrdiff_t cp, ptrdiff_t p0, ptrdiff_t p1,
                            uint16_t *out);

/// A dense weight [oc][ic][kh][kw] laid out as [oc][K] in torch's K order, K = cp·kh·kw with
/// cp = ic rounded up to 16: blocks of 16 input channels, then kh, then kw, then the channel
/// within the block (the channels past ic zero). Pack the result with roma_bf16_pack_pairs.
void roma_conv_torch_weight(const float *w, ptrdiff_t oc, ptrdiff_t ic, int kh, int kw, float *out);

/// Output pixels [p0, p1) of a convolution on rows x [h·w][cp] (roma_bf16_nchw_to_rows):
/// each pixel's im2col row in torch's K order is built in `a` (p1 − p0 rows of K = cp·kh·kw;
/// not read when kh = kw = 1, stride 1, no padding: x's rows are the operand), multiplied by
/// the packed weight in K blocks of `block` (roma_bf16_gemm_blocked) into c [(p1 − p0)][n],
/// the bf16 bias (or none) added, the sum rounded to bf16 (and clamped at 0 when relu), and
/// written to out[ch·out_plane + out_off + (p / out_w)·out_sy + (p % out_w)·out_sx].
void roma_conv_bf16_torch_band(const uint16_t *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t cp, int kh, int kw,
                               int stride, int pad, ptrdiff_t out_w, const uint16_t *packed, ptrdiff_t n,
                               ptrdiff_t block, const float *bias, ptrdiff_t p0, ptrdiff_t p1, uint16_t *a,
                               float *c, float *out, ptrdiff_t out_plane, ptrdiff_t out_off, ptrdiff_t out_sy,
                               ptrdiff_t out_sx, int relu);

/// One channel of a stride-1 depthwise convolution in oneDNN's bf16 order: the bias first,
/// then the taps row by row, each product (exact: bf16 operands) added and rounded in turn.
/// in: the padded plane (bf16 values in float32, row length padded_w); w: kh·kw bf16 values.
/// The output is the fp32 sum, not yet rounded to bf16.
void roma_depthwise_bf16_torch_plane(const float *in, ptrdiff_t padded_w, const float *w, int kh, int kw,
                                     float bias, ptrdiff_t out_h, ptrdiff_t out_w, float *out);

/// 1×1 convolutions without transposes: x [c][hw] (float32) as planes of channel pairs,
/// out[q·hw + p] = bf16(x[2q][p]) | bf16(x[2q+1][p]) << 16 for pixels [p0, p1) (an odd c's
/// partner zero); a weight [n][c] as pairs [n][(c+1)/2] alike.
void roma_bf16_pair_planes(const float *x, ptrdiff_t c, ptrdiff_t hw, ptrdiff_t p0, ptrdiff_t p1, uint32_t *out);
void roma_bf16_pair_weight(const float *w, ptrdiff_t n, ptrdiff_t c, uint32_t *out);
/// Pixels [p0, p1) of the 1×1 convolution out [n][hw] on those planes, summed in torch's 1×1
/// order: channel pairs in order (odd first) in chunks of `pair_block` pairs, chunks left to
/// right, then the bias (or none); rounded to bf16, clamped at 0 when relu.
void roma_conv1x1_bf16_torch_planes(const uint32_t *xp, ptrdiff_t pairs, ptrdiff_t hw, const uint32_t *wp, ptrdiff_t n,
                                    ptrdiff_t pair_block, const float *bias, int relu, ptrdiff_t p0, ptrdiff_t p1,
                                    float *out);

/// One channel of torch's eval batch norm on a bf16 tensor (float statistics), in place:
/// x = bf16(fma(x, alpha, beta)) with alpha = (1/√(var + eps))·γ and beta = fma(−mean, alpha, β)
/// (the caller's); torch's CPU kernel computes exactly these, its compiler fusing both.
void roma_batchnorm_bf16_torch_plane(float *x, ptrdiff_t count, float alpha, float beta);

#endif
