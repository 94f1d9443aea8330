// Kernels of RoMa's refiner inputs (local correlation), apart from kernels.h so the
// two can change independently. Same conventions: an AVX-512 path picked at run time,
// −1 where this machine (or ROMA_KERNELS) has none, and the caller's Swift loop runs.
#ifndef ROMA_REFINER_KERNELS_H
#define ROMA_REFINER_KERNELS_H

#include <stddef.h>

/// RoMa's local correlation (Sources/RoMa/Decoder/LocalCorrelation.swift) for pixels
/// [first, end) of A, to the bit of that file's Swift loop: every dot product of A's
/// pixel (divided by `inv`) with a B pixel is summed in 16 lanes (multiply, then add,
/// never fused) then lane by lane from 0 upwards, and each tap adds its four bilinear
/// corners' weighted dot products in order, skipping zero weights.
/// a [c][n] channel-major (n = A's pixels), b [bh·bw][c] pixel-major, warp [2][n],
/// dx, dy [side] the window's offsets, out [side·side][n].
/// Returns 0 when done, −1 below kernels level 2, 1 when out of memory.
int roma_local_correlation(const float *a, const float *b, const float *warp, const float *dx, const float *dy,
                           ptrdiff_t n, ptrdiff_t c, ptrdiff_t bh, ptrdiff_t bw, int side, float inv,
                           ptrdiff_t first, ptrdiff_t end, float *out);

/// Transposes `batches` row-major [rows][cols] matrices into [cols][rows] (4-byte
/// elements, copied bit for bit), in cache-sized tiles.
void roma_transpose32(const void *src, void *dst, ptrdiff_t batches, ptrdiff_t rows, ptrdiff_t cols,
                      ptrdiff_t first_row, ptrdiff_t end_row);

/// NN's `gridSample` (bilinear, zeros, align_corners=False) in two steps, to the bit of
/// its Swift loops. Taps: for points [first, end) of grid [points][2] (x, y) on an h × w
/// map, the four corners' indices (Int32, 0 outside) and weights (0 outside), stored
/// planar: index[t·points + p], weight[t·points + p]. Channels: for planes [first, end)
/// of x [c][h·w], out[ch][p] = ((x[i0]·w0 + x[i1]·w1) + x[i2]·w2) + x[i3]·w3.
/// Both return 0 when done, −1 below kernels level 2 (the Swift loops run).
int roma_grid_sample_taps(const float *grid, ptrdiff_t points, ptrdiff_t h, ptrdiff_t w, ptrdiff_t first,
                          ptrdiff_t end, int *index, float *weight);
int roma_grid_sample_planes(const float *x, ptrdiff_t hw, ptrdiff_t points, const int *index, const float *weight,
                            ptrdiff_t first, ptrdiff_t end, float *out);

#endif
