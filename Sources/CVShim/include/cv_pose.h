#ifndef ROMA_CV_POSE_H
#define ROMA_CV_POSE_H
#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a shim call: OK, no model found, or an OpenCV exception (message in `error`).
typedef enum {
    ROMA_CV_POSE_OK = 0,
    ROMA_CV_POSE_NO_MODEL = 1,
    ROMA_CV_POSE_EXCEPTION = 2
} roma_cv_pose_status;

/// The reference protocol (romatch `estimate_pose`): cv::findEssentialMat on points
/// already on the normalised image plane with K = I, method RANSAC, the given
/// `prob` and `threshold`, `max_iters` (OpenCV's default is 1000); then
/// cv::recoverPose(E_k, …, K = I, distanceThresh = 1e9, mask) for every 3×3 block E_k
/// it returns, keeping the one with the most points in front (the mask is updated
/// in place by each call, as in the Python reference).
/// `pts_a`, `pts_b`: n × 2 row-major. Outputs: R (9, row-major), t (3), E (9),
/// mask (n; 1 = inlier passing cheirality), *in_front = recoverPose's count.
roma_cv_pose_status roma_cv_essential_pose(const double *pts_a, const double *pts_b, int n,
                                           double threshold, double prob, int max_iters,
                                           double *R, double *t, double *E, unsigned char *mask,
                                           int *in_front, char *error, int error_capacity);

/// cv::findFundamentalMat on pixel points with `method` (an OpenCV constant, e.g.
/// FM_RANSAC = 8 or USAC_ACCURATE = 36), `threshold` in pixels, `confidence`,
/// `max_iters`. Outputs F (9, row-major) and mask (n).
roma_cv_pose_status roma_cv_fundamental(const double *pts_a, const double *pts_b, int n, int method,
                                        double threshold, double confidence, int max_iters,
                                        double *F, unsigned char *mask, char *error, int error_capacity);

/// OpenCV's method constants, so Swift need not hard-code them.
int roma_cv_method_ransac(void);
int roma_cv_method_usac_accurate(void);

#ifdef __cplusplus
}
#endif
#endif
