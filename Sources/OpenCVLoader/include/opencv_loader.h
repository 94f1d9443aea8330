#ifndef ROMA_OPENCV_LOADER_H
#define ROMA_OPENCV_LOADER_H

// The OpenCV shim's C API (Sources/CVShim/include), served by stubs that load the
// shim library (libRomaOpenCV.so, which links OpenCV) on first use. `roma` itself does
// not link OpenCV, so stages that never call it (sample, estimate, evaluate…) start
// without loading OpenCV's ~150 shared libraries.
#include "../../CVShim/include/CVShim.h"

#ifdef __cplusplus
extern "C" {
#endif

// Loads the shim now if it is not loaded yet. Returns 0 on success; otherwise a
// message saying where it was looked for (also what a stub prints before exiting 1).
int roma_opencv_load(const char **message);

#ifdef __cplusplus
}
#endif

#endif
