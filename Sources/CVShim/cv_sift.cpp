// OpenCV sift entry points; see include/cv_sift.h.
#include "cv_sift.h"
