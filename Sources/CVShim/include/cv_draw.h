#ifndef ROMA_CV_DRAW_H
#define ROMA_CV_DRAW_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
