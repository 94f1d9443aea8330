// OpenCV pose entry points; see include/cv_pose.h.
#include "cv_pose.h"
