#ifndef ROMA_CV_IMAGE_CHECK_H
#define ROMA_CV_IMAGE_CHECK_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// Image formats the checker recognises by their leading bytes.
enum {
    CVSHIM_FORMAT_UNKNOWN = 0,
    CVSHIM_FORMAT_JPEG = 1,
    CVSHIM_FORMAT_PNG = 2,
};

// Outcome codes of the checks (CVSHIM_OK = 0 is shared with cv_decode.h).
enum {
    CVSHIM_CHECK_UNKNOWN_FORMAT = 20,  // neither JPEG nor PNG
    CVSHIM_CHECK_CORRUPT = 21,         // the codec refused the data, or warned that pixels are missing or damaged
};

#define CVSHIM_CHECK_MESSAGE_LENGTH 200

// What the header says, plus the codec's message when a check fails.
typedef struct {
    int format;          // CVSHIM_FORMAT_*
    int width;
    int height;
    int bit_depth;       // bits per sample as stored (PNG 1..16, JPEG 8 or 12)
    int channels;        // components as stored (PNG: after palette expansion counts as 3)
    char message[CVSHIM_CHECK_MESSAGE_LENGTH];
} cvshim_image_info;

// Reads only the header (JPEG up to SOF, PNG's IHDR) of an in-memory file: format,
// size and depth, without decoding pixels, so a size limit can be applied before any
// allocation proportional to the image.
int cvshim_image_probe(const uint8_t *bytes, size_t count, cvshim_image_info *info);

// Decodes the whole entropy-coded / compressed stream with libjpeg or libpng directly
// (JPEG at 1/8 scale: every Huffman code is still read) and fails where OpenCV would
// only print a warning and hand back a partly grey image: a truncated file, corrupt
// entropy-coded data, a bad CRC in a critical PNG chunk, missing image data.
// Harmless warnings (an unknown JFIF revision, a known-incorrect sRGB profile) pass.
int cvshim_image_verify(const uint8_t *bytes, size_t count, cvshim_image_info *info);

#ifdef __cplusplus
}
#endif
#endif
