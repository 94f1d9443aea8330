// OpenCV draw entry points; see include/cv_draw.h.
#include "cv_draw.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace {
// cv::Point with 4 fractional bits, so lines and circles land between pixels.
constexpr int kShift = 4;
constexpr double kOne = 1 << kShift;

cv::Point fixedPoint(double x, double y) { return cv::Point(cvRound(x * kOne), cvRound(y * kOne)); }

// The canvas is RGB, so the colour goes in R, G, B order (not OpenCV's usual BGR).
cv::Scalar rgbScalar(uint32_t color) { return cv::Scalar((color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF); }

bool validCanvas(const uint8_t *rgb, int width, int height) { return rgb != nullptr && width > 0 && height > 0; }
}  // namespace

extern "C" int cvshim_draw_line(uint8_t *rgb, int width, int height, double x0, double y0, double x1, double y1,
                                uint32_t color, int thickness) {
    if (!validCanvas(rgb, width, height) || thickness < 1) return 1;
    try {
        cv::Mat canvas(height, width, CV_8UC3, rgb);
        cv::line(canvas, fixedPoint(x0, y0), fixedPoint(x1, y1), rgbScalar(color), thickness, cv::LINE_AA, kShift);
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_draw_circle(uint8_t *rgb, int width, int height, double cx, double cy, double radius,
                                  uint32_t color, int thickness) {
    if (!validCanvas(rgb, width, height) || radius < 0) return 1;
    try {
        cv::Mat canvas(height, width, CV_8UC3, rgb);
        cv::circle(canvas, fixedPoint(cx, cy), cvRound(radius * kOne), rgbScalar(color), thickness < 0 ? cv::FILLED : thickness,
                   cv::LINE_AA, kShift);
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_draw_rectangle(uint8_t *rgb, int width, int height, double x0, double y0, double x1, double y1,
                                     uint32_t color, int thickness) {
    if (!validCanvas(rgb, width, height)) return 1;
    try {
        cv::Mat canvas(height, width, CV_8UC3, rgb);
        cv::rectangle(canvas, fixedPoint(x0, y0), fixedPoint(x1, y1), rgbScalar(color), thickness < 0 ? cv::FILLED : thickness,
                      cv::LINE_8, kShift);
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_draw_text(uint8_t *rgb, int width, int height, const char *text, double x, double y, double scale,
                                uint32_t color, int thickness) {
    if (!validCanvas(rgb, width, height) || text == nullptr || thickness < 1) return 1;
    try {
        cv::Mat canvas(height, width, CV_8UC3, rgb);
        cv::putText(canvas, text, cv::Point(cvRound(x), cvRound(y)), cv::FONT_HERSHEY_SIMPLEX, scale, rgbScalar(color), thickness,
                    cv::LINE_AA);
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_draw_text_size(const char *text, double scale, int thickness, int *text_width, int *text_height) {
    if (text == nullptr) return 1;
    try {
        int baseline = 0;
        cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
        *text_width = size.width;
        *text_height = size.height + baseline;
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_draw_resize(const uint8_t *src, int src_width, int src_height, uint8_t *dst, int dst_width, int dst_height) {
    if (!validCanvas(src, src_width, src_height) || !validCanvas(dst, dst_width, dst_height)) return 1;
    try {
        cv::Mat in(src_height, src_width, CV_8UC3, const_cast<uint8_t *>(src));
        cv::Mat out(dst_height, dst_width, CV_8UC3, dst);
        // INTER_AREA averages when shrinking; writes straight into the caller's buffer.
        cv::resize(in, out, out.size(), 0, 0, cv::INTER_AREA);
        return out.data == dst ? 0 : 1;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" int cvshim_draw_encode_png(const uint8_t *rgb, int width, int height, uint8_t **png, size_t *length) {
    *png = nullptr;
    *length = 0;
    if (!validCanvas(rgb, width, height)) return 1;
    try {
        cv::Mat canvas(height, width, CV_8UC3, const_cast<uint8_t *>(rgb));
        cv::Mat bgr;
        cv::cvtColor(canvas, bgr, cv::COLOR_RGB2BGR);
        std::vector<uint8_t> bytes;
        if (!cv::imencode(".png", bgr, bytes)) return 1;
        uint8_t *out = static_cast<uint8_t *>(std::malloc(bytes.size()));
        if (!out) return 1;
        std::memcpy(out, bytes.data(), bytes.size());
        *png = out;
        *length = bytes.size();
        return 0;
    } catch (const std::exception &) {
        return 1;
    }
}

extern "C" void cvshim_draw_free(void *p) { std::free(p); }
