// Row-wise kernels: layer norm, max pooling (apart from kernels.h so the two can change independently).
#ifndef ROMA_ROW_KERNELS_H
#define ROMA_ROW_KERNELS_H

#include <stddef.h>

/// NN's `layerNorm` over rows [0, rows) of width c, to the bit of its Swift loop: per row
/// the sum of the elements in double from the first to the last, the mean, the sum of
/// squared deviations in the same order, inv = 1/√(sq/c + eps), then each output
/// Float((x − mean)·inv·w + b) in double (w, b optional: NULL). Eight rows run
/// interleaved, so eight of the serial sums are in flight at once. dst may be src.
/// Runs everywhere (AVX-512 code only where the machine has it).
void roma_layer_norm_rows(const float *src, float *dst, ptrdiff_t rows, ptrdiff_t c, const float *weight,
                          const float *bias, float eps);

/// One output row of NN's `maxPool2x2`: out[i] = max(max(top[2i], top[2i+1]), max(bottom[2i], bottom[2i+1]))
/// for i < wo, with Swift's max(x, y) = y >= x ? y : x (so NaN and ±0 come out as there).
/// Returns 0 when done, −1 below kernels level 2 (the caller's loop runs).
int roma_max_pool_row(const float *top, const float *bottom, float *out, ptrdiff_t wo);

#endif
