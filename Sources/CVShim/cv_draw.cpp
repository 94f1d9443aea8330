// OpenCV draw entry points; see include/cv_draw.h.
#include "cv_draw.h"
