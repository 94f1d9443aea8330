#ifndef ROMA_CV_SIFT_H
#define ROMA_CV_SIFT_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
