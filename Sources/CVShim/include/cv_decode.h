#ifndef ROMA_CV_DECODE_H
#define ROMA_CV_DECODE_H
#include <stdint.h>
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Outcome codes of cvshim_decode_rgb.
enum {
    CVSHIM_OK = 0,
    CVSHIM_ERR_UNREADABLE = 1,   // missing, unreadable, or not an image OpenCV can decode
    CVSHIM_ERR_DEPTH = 2,        // not 8 bits per channel (e.g. 16-bit PNG)
    CVSHIM_ERR_CHANNELS = 3,     // channel count other than 1, 3 or 4
    CVSHIM_ERR_ALLOC = 4,
};

// Decodes an image file held in memory (check it first with cv_image_check.h) to packed 8-bit RGB, row-major, without applying EXIF
// orientation. Grayscale is replicated to three channels; alpha is dropped.
// On success *pixels is malloc'ed (free with cvshim_free) and holds width*height*3 bytes.
// *depth_bits reports the file's bit depth per channel when known (8 or 16).
int cvshim_decode_rgb(const uint8_t *bytes, size_t count, uint8_t **pixels, int *width, int *height, int *depth_bits);

// Encodes packed 8-bit RGB to a file whose extension picks the format (.png, .jpg).
// Returns 0 on success.
int cvshim_encode_rgb(const char *path, const uint8_t *pixels, int width, int height);

void cvshim_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
