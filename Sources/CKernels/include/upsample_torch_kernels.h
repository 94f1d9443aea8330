// torch 2.15's CPU bilinear resize of a bf16 tensor (align_corners=True), reproduced to the bit
// for RoMa v2's DPT head (upsample_bf16_torch.c; docs/roma2.md, "Precision").
#ifndef ROMA_UPSAMPLE_TORCH_KERNELS_H
#define ROMA_UPSAMPLE_TORCH_KERNELS_H

#include <stddef.h>

/// `planes` planes of x [planes][h][w] (floats holding bf16 values) resized to y
/// [planes][oh][ow], each output rounded to bf16 (stored as its float); the first is plane
/// `first` of an [N·channels] stack (a plane's channel decides its order in the channels-last
/// kernel). `channels_last_kernel` picks torch's channels-last kernel (float weights) over its
/// generic one (bf16 weights); torch picks by shape (see the Swift caller).
void roma_upsample_bilinear_bf16_torch(const float *x, ptrdiff_t planes, ptrdiff_t first, ptrdiff_t channels,
                                       ptrdiff_t h, ptrdiff_t w, ptrdiff_t oh, ptrdiff_t ow, int channels_last_kernel,
                                       float *y);

#endif
