// OpenCV pose entry points; see include/cv_pose.h.
#include "cv_pose.h"

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>

#include <cstring>
#include <string>

namespace {

void report(const std::string &what, char *error, int capacity) {
    if (error == nullptr || capacity <= 0) return;
    std::strncpy(error, what.c_str(), static_cast<size_t>(capacity) - 1);
    error[capacity - 1] = '\0';
}

// Wraps caller memory without copying; OpenCV only reads it.
cv::Mat points(const double *xy, int n) {
    return cv::Mat(n, 2, CV_64F, const_cast<double *>(xy));
}

}  // namespace

extern "C" roma_cv_pose_status roma_cv_essential_pose(const double *pts_a, const double *pts_b, int n,
                                                      double threshold, double prob, int max_iters,
                                                      double *R, double *t, double *E, unsigned char *mask,
                                                      int *in_front, char *error, int error_capacity) {
    try {
        cv::Mat a = points(pts_a, n), b = points(pts_b, n);
        cv::Mat inliers;
        cv::Mat e = cv::findEssentialMat(a, b, cv::Mat::eye(3, 3, CV_64F), cv::RANSAC, prob, threshold, max_iters, inliers);
        if (e.empty() || e.rows < 3 || e.cols != 3) return ROMA_CV_POSE_NO_MODEL;
        int best = 0;
        bool found = false;
        for (int k = 0; k + 3 <= e.rows; k += 3) {
            cv::Mat ek = e.rowRange(k, k + 3).clone();
            cv::Mat rk, tk, triangulated;
            int count = cv::recoverPose(ek, a, b, cv::Mat::eye(3, 3, CV_64F), rk, tk, 1e9, inliers, triangulated);
            if (count > best) {
                best = count;
                found = true;
                for (int i = 0; i < 9; ++i) R[i] = rk.at<double>(i / 3, i % 3);
                for (int i = 0; i < 3; ++i) t[i] = tk.at<double>(i, 0);
                for (int i = 0; i < 9; ++i) E[i] = ek.at<double>(i / 3, i % 3);
                for (int i = 0; i < n; ++i) mask[i] = inliers.at<unsigned char>(i) > 0 ? 1 : 0;
            }
        }
        *in_front = best;
        return found ? ROMA_CV_POSE_OK : ROMA_CV_POSE_NO_MODEL;
    } catch (const cv::Exception &ex) {
        report(ex.what(), error, error_capacity);
        return ROMA_CV_POSE_EXCEPTION;
    } catch (const std::exception &ex) {
        report(ex.what(), error, error_capacity);
        return ROMA_CV_POSE_EXCEPTION;
    }
}

extern "C" roma_cv_pose_status roma_cv_fundamental(const double *pts_a, const double *pts_b, int n, int method,
                                                   double threshold, double confidence, int max_iters,
                                                   double *F, unsigned char *mask, char *error, int error_capacity) {
    try {
        cv::Mat a = points(pts_a, n), b = points(pts_b, n);
        cv::Mat inliers;
        cv::Mat f = cv::findFundamentalMat(a, b, method, threshold, confidence, max_iters, inliers);
        if (f.empty() || f.rows < 3 || f.cols != 3) return ROMA_CV_POSE_NO_MODEL;
        for (int i = 0; i < 9; ++i) F[i] = f.at<double>(i / 3, i % 3);
        for (int i = 0; i < n; ++i) mask[i] = (!inliers.empty() && inliers.at<unsigned char>(i) > 0) ? 1 : 0;
        return ROMA_CV_POSE_OK;
    } catch (const cv::Exception &ex) {
        report(ex.what(), error, error_capacity);
        return ROMA_CV_POSE_EXCEPTION;
    } catch (const std::exception &ex) {
        report(ex.what(), error, error_capacity);
        return ROMA_CV_POSE_EXCEPTION;
    }
}

extern "C" int roma_cv_method_ransac(void) { return cv::RANSAC; }
extern "C" int roma_cv_method_usac_accurate(void) { return cv::USAC_ACCURATE; }
