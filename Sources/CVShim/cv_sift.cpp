// OpenCV SIFT detection and brute-force nearest neighbours; see include/cv_sift.h.
#include "cv_sift.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <numeric>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgcodecs.hpp>

namespace {

// Strongest first; ties broken by geometry so the order is a total one.
bool before(const cv::KeyPoint &a, const cv::KeyPoint &b) {
    if (a.response != b.response) return a.response > b.response;
    if (a.pt.y != b.pt.y) return a.pt.y < b.pt.y;
    if (a.pt.x != b.pt.x) return a.pt.x < b.pt.x;
    if (a.size != b.size) return a.size < b.size;
    if (a.angle != b.angle) return a.angle < b.angle;
    return a.octave < b.octave;
}

// OpenCV's pool is process-wide and callers may match several pairs at once, so it
// is sized once, by the first caller, rather than resized under a running region.
void configure_threads(int threads) {
    static std::once_flag once;
    if (threads > 0) std::call_once(once, [threads] { cv::setNumThreads(threads); });
}

}  // namespace

extern "C" int cvshim_sift_detect(const uint8_t *bytes, size_t count, int max_features, int threads, cvshim_sift_features *out) {
    if (!out) return CVSHIM_SIFT_ERR_ARGUMENT;
    *out = cvshim_sift_features{0, 0, 0, nullptr, nullptr};
    if (!bytes || count == 0 || max_features <= 0) return CVSHIM_SIFT_ERR_ARGUMENT;
    try {
        configure_threads(threads);
        const cv::Mat file(1, static_cast<int>(count), CV_8U, const_cast<uint8_t *>(bytes));
        cv::Mat gray = cv::imdecode(file, cv::IMREAD_GRAYSCALE | cv::IMREAD_IGNORE_ORIENTATION);
        if (gray.empty()) return CVSHIM_SIFT_ERR_UNREADABLE;
        out->width = gray.cols;
        out->height = gray.rows;

        std::vector<cv::KeyPoint> keypoints;
        cv::Mat descriptors;
        cv::Ptr<cv::SIFT> sift = cv::SIFT::create(max_features);
        sift->detectAndCompute(gray, cv::noArray(), keypoints, descriptors);
        const int found = static_cast<int>(keypoints.size());
        if (found == 0) return 0;
        if (descriptors.rows != found || descriptors.cols != CVSHIM_SIFT_DIM || descriptors.type() != CV_32F)
            return CVSHIM_SIFT_ERR_OPENCV;

        std::vector<int> order(found);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int i, int j) {
            if (before(keypoints[i], keypoints[j])) return true;
            if (before(keypoints[j], keypoints[i])) return false;
            return i < j;  // identical keypoints: keep OpenCV's order
        });
        // OpenCV keeps every keypoint tied with the weakest retained response (a point
        // with two dominant orientations gives two keypoints of equal response), so it
        // can return a few more than asked for; the sorted order makes the cut stable.
        const int n = std::min(found, max_features);

        float *xy = static_cast<float *>(std::malloc(sizeof(float) * 2 * n));
        float *desc = static_cast<float *>(std::malloc(sizeof(float) * CVSHIM_SIFT_DIM * n));
        if (!xy || !desc) {
            std::free(xy);
            std::free(desc);
            return CVSHIM_SIFT_ERR_ALLOC;
        }
        for (int r = 0; r < n; ++r) {
            const int k = order[r];
            xy[2 * r] = keypoints[k].pt.x;
            xy[2 * r + 1] = keypoints[k].pt.y;
            std::memcpy(desc + static_cast<size_t>(r) * CVSHIM_SIFT_DIM, descriptors.ptr<float>(k),
                        sizeof(float) * CVSHIM_SIFT_DIM);
        }
        out->count = n;
        out->xy = xy;
        out->descriptors = desc;
        return 0;
    } catch (const std::exception &) {
        cvshim_sift_release(out);
        return CVSHIM_SIFT_ERR_OPENCV;
    }
}

extern "C" void cvshim_sift_release(cvshim_sift_features *features) {
    if (!features) return;
    std::free(features->xy);
    std::free(features->descriptors);
    features->xy = nullptr;
    features->descriptors = nullptr;
    features->count = 0;
}

extern "C" int cvshim_sift_nearest(const float *query, int query_count,
                                   const float *train, int train_count,
                                   int k, int threads, int32_t *nearest_index, float *nearest_distance) {
    if (query_count < 0 || train_count < 0 || (k != 1 && k != 2)) return CVSHIM_SIFT_ERR_ARGUMENT;
    if (query_count == 0) return 0;
    if (!query || !nearest_index || !nearest_distance || (train_count > 0 && !train)) return CVSHIM_SIFT_ERR_ARGUMENT;
    for (int i = 0; i < query_count * k; ++i) {
        nearest_index[i] = -1;
        nearest_distance[i] = std::numeric_limits<float>::infinity();
    }
    if (train_count == 0) return 0;
    try {
        configure_threads(threads);
        cv::Mat q(query_count, CVSHIM_SIFT_DIM, CV_32F, const_cast<float *>(query));
        cv::Mat t(train_count, CVSHIM_SIFT_DIM, CV_32F, const_cast<float *>(train));
        cv::BFMatcher matcher(cv::NORM_L2, false);
        std::vector<std::vector<cv::DMatch>> found;
        matcher.knnMatch(q, t, found, k);
        if (static_cast<int>(found.size()) != query_count) return CVSHIM_SIFT_ERR_OPENCV;
        for (int i = 0; i < query_count; ++i) {
            const auto &row = found[i];
            for (int j = 0; j < k && j < static_cast<int>(row.size()); ++j) {
                nearest_index[i * k + j] = row[j].trainIdx;
                nearest_distance[i * k + j] = row[j].distance;
            }
        }
        return 0;
    } catch (const std::exception &) {
        return CVSHIM_SIFT_ERR_OPENCV;
    }
}
