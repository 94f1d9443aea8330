#ifndef ROMA_CV_SENSOR_H
#define ROMA_CV_SENSOR_H
#include <stdint.h>
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Sensor effects for the synthetic benchmark's images (packed 8-bit RGB, row-major).

// Gaussian blur in place, standard deviation `sigma` pixels (kernel sized by OpenCV,
// borders reflected). Returns 0 on success.
int cvshim_sensor_blur(uint8_t *rgb, int width, int height, double sigma);

// JPEG-encodes packed RGB at `quality` (1..100) with OpenCV's imencode (libjpeg).
// On success *bytes is malloc'ed (free with cvshim_free) and holds *length bytes.
int cvshim_sensor_encode_jpeg(const uint8_t *rgb, int width, int height, int quality, uint8_t **bytes, size_t *length);

// Decodes an encoded image held in memory to packed RGB of the given size (what a
// reader of the written file sees). Returns 0 on success, 1 if it does not decode
// to width × height × 3.
int cvshim_sensor_decode(const uint8_t *bytes, size_t length, uint8_t *rgb, int width, int height);

#ifdef __cplusplus
}
#endif
#endif
