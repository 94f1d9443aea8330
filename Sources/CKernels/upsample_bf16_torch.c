#include "upsample_torch_kernels.h"
#include "bf16_round.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// F.interpolate(mode="bilinear", align_corners=True) of a bf16 CPU tensor as torch 2.15 runs it
// (aten/src/ATen/native/cpu/UpSampleKernel.cpp, built by GCC, which contracts a product that
// only feeds a sum into an FMA). Two kernels, chosen by torch from the shapes:
// - channels-last (`cpu_upsample_linear_channels_last`, taken for oh + ow ≤ 128 even on NCHW
//   input): float lambdas and the four weights h·w as float products. Channels go 16 at a time
//   (float vectors on AVX-512) summed as x00·w00 + (x01·w01 + (x10·w10 + x11·w11)), three
//   FMAs around one product; the last C mod 16 channels go through the scalar loop written
//   ((x00·w00 + x01·w01) + x10·w10) + x11·w11, which GCC contracts to
//   fma(x11, w11, fma(x10, w10, fma(x00, w00, x01·w01)));
// - generic (`upsample_generic_Nd_kernel_impl`): the lambdas are stored in the tensor's dtype,
//   so λ1 is rounded to bf16 and λ0 = bf16(1 − λ1); each source row is interpolated along x
//   (exact bf16 products, one float addition), then the two rows as fma(t0, λh0, t1·λh1).
// The output is rounded to bf16 once. Proven against torch on operands built so that each
// other order tried changes the last bit of some outputs (make_bf16_upsample_fixture.py).
#pragma STDC FP_CONTRACT OFF

typedef struct { ptrdiff_t i0, i1; float l0, l1; } Tap;

static float round_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u = bf16_round_bits(u);
    memcpy(&f, &u, 4);
    return f;
}

// torch's area_pixel_compute_scale / compute_source_index_and_lambda for align_corners=True,
// in float; `bf16_weights` stores the lambdas as the generic kernel does.
static void make_taps(ptrdiff_t n, ptrdiff_t o, int bf16_weights, Tap *t) {
    const float ratio = o > 1 ? (float)(n - 1) / (float)(o - 1) : 0.0f;
    for (ptrdiff_t k = 0; k < o; k++) {
        if (n == o) { t[k] = (Tap){k, k, 1.0f, 0.0f}; continue; }
        const float src = ratio * (float)k;
        ptrdiff_t i0 = (ptrdiff_t)floorf(src);
        if (i0 > n - 1) i0 = n - 1;
        float l1 = src - (float)i0;
        l1 = l1 < 0.0f ? 0.0f : (l1 > 1.0f ? 1.0f : l1);
        if (bf16_weights) l1 = round_bf16(l1);
        float l0 = 1.0f - l1;
        if (bf16_weights) l0 = round_bf16(l0);
        t[k] = (Tap){i0, i0 < n - 1 ? i0 + 1 : i0, l0, l1};
    }
}

typedef struct { ptrdiff_t planes, first, channels, h, w, oh, ow; int channels_last_kernel; } Shape;

static inline __attribute__((always_inline)) void planes_body(const float *x, Shape s, const Tap *rows,
                                                              const Tap *cols, float *y) {
    const ptrdiff_t h = s.h, w = s.w, oh = s.oh, ow = s.ow, vector_channels = s.channels - s.channels % 16;
    for (ptrdiff_t p = 0; p < s.planes; p++) {
        const int vector = ((s.first + p) % s.channels) < vector_channels;
        const float *src = x + p * h * w;
        float *dst = y + p * oh * ow;
        for (ptrdiff_t oy = 0; oy < oh; oy++) {
            const Tap ty = rows[oy];
            const float *r0 = src + ty.i0 * w, *r1 = src + ty.i1 * w;
            for (ptrdiff_t ox = 0; ox < ow; ox++) {
                const Tap tx = cols[ox];
                float r;
                if (s.channels_last_kernel) {
                    const float w00 = ty.l0 * tx.l0, w01 = ty.l0 * tx.l1, w10 = ty.l1 * tx.l0, w11 = ty.l1 * tx.l1;
                    r = vector ? fmaf(r0[tx.i0], w00, fmaf(r0[tx.i1], w01, fmaf(r1[tx.i0], w10, r1[tx.i1] * w11)))
                               : fmaf(r1[tx.i1], w11, fmaf(r1[tx.i0], w10, fmaf(r0[tx.i0], w00, r0[tx.i1] * w01)));
                } else {
                    const float t0 = r0[tx.i0] * tx.l0 + r0[tx.i1] * tx.l1;
                    const float t1 = r1[tx.i0] * tx.l0 + r1[tx.i1] * tx.l1;
                    r = fmaf(t0, ty.l0, t1 * ty.l1);
                }
                dst[oy * ow + ox] = round_bf16(r);
            }
        }
    }
}

// The same float operations either way; with FMA hardware fmaf is one instruction instead of
// a libm call.
#if defined(__x86_64__)
__attribute__((target("fma"))) static void planes_fma(const float *x, Shape s, const Tap *rows, const Tap *cols, float *y) {
    planes_body(x, s, rows, cols, y);
}
#endif

static void planes_any(const float *x, Shape s, const Tap *rows, const Tap *cols, float *y) {
    planes_body(x, s, rows, cols, y);
}

void roma_upsample_bilinear_bf16_torch(const float *x, ptrdiff_t planes, ptrdiff_t first, ptrdiff_t channels,
                                       ptrdiff_t h, ptrdiff_t w, ptrdiff_t oh, ptrdiff_t ow, int channels_last_kernel,
                                       float *y) {
    const Shape s = {planes, first, channels, h, w, oh, ow, channels_last_kernel};
    Tap *rows = malloc(sizeof(Tap) * (size_t)(oh + ow));
    if (!rows) abort();
    Tap *cols = rows + oh;
    make_taps(h, oh, !channels_last_kernel, rows);
    make_taps(w, ow, !channels_last_kernel, cols);
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("fma")) {
        planes_fma(x, s, rows, cols, y);
        free(rows);
        return;
    }
#endif
    planes_any(x, s, rows, cols, y);
    free(rows);
}
