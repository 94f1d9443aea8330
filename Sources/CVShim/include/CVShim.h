// Umbrella header of the OpenCV shim. Swift sees only these plain C declarations;
// each concept has its own header and C++ file.
#ifndef ROMA_CVSHIM_H
#define ROMA_CVSHIM_H
#include "cv_decode.h"
#include "cv_image_check.h"
#include "cv_sift.h"
#include "cv_draw.h"
#include "cv_pose.h"
#include "cv_sensor.h"
#endif
