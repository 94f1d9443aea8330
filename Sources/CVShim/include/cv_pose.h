#ifndef ROMA_CV_POSE_H
#define ROMA_CV_POSE_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
