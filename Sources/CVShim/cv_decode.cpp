#include "cv_decode.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

extern "C" int cvshim_decode_rgb(const uint8_t *bytes, size_t count, uint8_t **pixels, int *width, int *height, int *depth_bits) {
    *pixels = nullptr;
    *width = 0;
    *height = 0;
    *depth_bits = 0;
    try {
        if (!bytes || count == 0) return CVSHIM_ERR_UNREADABLE;
        // IMREAD_UNCHANGED keeps the stored pixel grid (OpenCV ignores EXIF orientation
        // in this mode, as Pillow's Image.open does) and the native depth and channels.
        const cv::Mat file(1, static_cast<int>(count), CV_8U, const_cast<uint8_t *>(bytes));
        cv::Mat raw = cv::imdecode(file, cv::IMREAD_UNCHANGED);
        if (raw.empty()) return CVSHIM_ERR_UNREADABLE;
        *depth_bits = raw.depth() == CV_8U ? 8 : (raw.depth() == CV_16U ? 16 : 32);
        if (raw.depth() != CV_8U) return CVSHIM_ERR_DEPTH;
        cv::Mat rgb;
        switch (raw.channels()) {
            case 1: cv::cvtColor(raw, rgb, cv::COLOR_GRAY2RGB); break;
            case 2: {  // gray + alpha: keep the gray plane, as Pillow's convert("RGB") does
                cv::Mat planes[2];
                cv::split(raw, planes);
                cv::cvtColor(planes[0], rgb, cv::COLOR_GRAY2RGB);
                break;
            }
            case 3: cv::cvtColor(raw, rgb, cv::COLOR_BGR2RGB); break;
            case 4: cv::cvtColor(raw, rgb, cv::COLOR_BGRA2RGB); break;
            default: return CVSHIM_ERR_CHANNELS;
        }
        if (!rgb.isContinuous()) rgb = rgb.clone();
        size_t bytes = static_cast<size_t>(rgb.cols) * rgb.rows * 3;
        uint8_t *out = static_cast<uint8_t *>(std::malloc(bytes));
        if (!out) return CVSHIM_ERR_ALLOC;
        std::memcpy(out, rgb.data, bytes);
        *pixels = out;
        *width = rgb.cols;
        *height = rgb.rows;
        return CVSHIM_OK;
    } catch (const std::exception &) {
        return CVSHIM_ERR_UNREADABLE;
    }
}

extern "C" int cvshim_encode_rgb(const char *path, const uint8_t *pixels, int width, int height) {
    try {
        cv::Mat rgb(height, width, CV_8UC3, const_cast<uint8_t *>(pixels));
        cv::Mat bgr;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        return cv::imwrite(path, bgr) ? 0 : 1;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" void cvshim_free(void *p) { std::free(p); }
