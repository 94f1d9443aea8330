#include "cv_sensor.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

extern "C" int cvshim_sensor_blur(uint8_t *rgb, int width, int height, double sigma) {
    try {
        cv::Mat image(height, width, CV_8UC3, rgb);
        cv::GaussianBlur(image, image, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT_101);
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_sensor_encode_jpeg(const uint8_t *rgb, int width, int height, int quality, uint8_t **bytes, size_t *length) {
    *bytes = nullptr;
    *length = 0;
    try {
        cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb));
        cv::Mat bgr;
        cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
        std::vector<uchar> buffer;
        if (!cv::imencode(".jpg", bgr, buffer, {cv::IMWRITE_JPEG_QUALITY, quality})) return 1;
        uint8_t *out = static_cast<uint8_t *>(std::malloc(buffer.size()));
        if (!out) return 1;
        std::memcpy(out, buffer.data(), buffer.size());
        *bytes = out;
        *length = buffer.size();
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_sensor_decode(const uint8_t *bytes, size_t length, uint8_t *rgb, int width, int height) {
    try {
        cv::Mat encoded(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
        cv::Mat bgr = cv::imdecode(encoded, cv::IMREAD_COLOR);
        if (bgr.empty() || bgr.cols != width || bgr.rows != height || bgr.type() != CV_8UC3) return 1;
        cv::Mat out(height, width, CV_8UC3, rgb);
        cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}
