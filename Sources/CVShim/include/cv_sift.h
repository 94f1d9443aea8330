#ifndef ROMA_CV_SIFT_H
#define ROMA_CV_SIFT_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// Outcome codes of the SIFT entry points (CVSHIM_OK = 0 is shared with cv_decode.h).
enum {
    CVSHIM_SIFT_ERR_UNREADABLE = 1,  // missing, unreadable, or not an image OpenCV can decode
    CVSHIM_SIFT_ERR_ALLOC = 4,
    CVSHIM_SIFT_ERR_ARGUMENT = 5,    // a count or pointer the caller passed is invalid
    CVSHIM_SIFT_ERR_OPENCV = 6,      // OpenCV threw while detecting or matching
};

// Length of one SIFT descriptor.
#define CVSHIM_SIFT_DIM 128

// SIFT keypoints of one image file held in memory (checked first with
// cv_image_check.h, which applies the size limit), detected on its grayscale version as stored in the
// file (EXIF orientation is not applied). Keypoints are sorted by a total order
// (response, then position, size, angle) so the result does not depend on how
// OpenCV's threads happened to interleave.
typedef struct {
    int count;
    int width;              // the image's size in pixels
    int height;
    float *xy;              // count x 2 (x, y), OpenCV convention: pixel centres at integers
    float *descriptors;     // count x CVSHIM_SIFT_DIM, row-major
} cvshim_sift_features;

// Detects at most max_features keypoints (the strongest ones; > 0) and describes them,
// on up to `threads` threads. `threads` sizes OpenCV's process-wide pool once, at the
// first call with threads > 0, so concurrent callers never resize it under one
// another; later values are ignored.
// On success the arrays are malloc'ed; release them with cvshim_sift_release.
int cvshim_sift_detect(const uint8_t *bytes, size_t count, int max_features, int threads, cvshim_sift_features *out);

void cvshim_sift_release(cvshim_sift_features *features);

// For each query descriptor, its two nearest train descriptors by L2 distance
// (brute force). Writes nearest_index/nearest_distance as query_count x k
// (k = 1 or 2); a neighbour that does not exist (too few train rows) gets index -1
// and distance +infinity. `threads` as for cvshim_sift_detect.
int cvshim_sift_nearest(const float *query, int query_count,
                        const float *train, int train_count,
                        int k, int threads, int32_t *nearest_index, float *nearest_distance);

#ifdef __cplusplus
}
#endif
#endif
