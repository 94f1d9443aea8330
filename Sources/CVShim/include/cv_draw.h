#ifndef ROMA_CV_DRAW_H
#define ROMA_CV_DRAW_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// Drawing on a caller-owned canvas of packed 8-bit RGB, row-major, width*height*3
// bytes. Colours are 0xRRGGBB. Coordinates are pixels (x right, y down), drawn
// anti-aliased with sub-pixel precision. Shapes outside the canvas are clipped.
// Every function returns 0 on success, non-zero when OpenCV refused the input.

int cvshim_draw_line(uint8_t *rgb, int width, int height, double x0, double y0, double x1, double y1,
                     uint32_t color, int thickness);

// thickness < 0 fills the circle.
int cvshim_draw_circle(uint8_t *rgb, int width, int height, double cx, double cy, double radius,
                       uint32_t color, int thickness);

// thickness < 0 fills the rectangle.
int cvshim_draw_rectangle(uint8_t *rgb, int width, int height, double x0, double y0, double x1, double y1,
                          uint32_t color, int thickness);

// (x, y) is the left end of the text's baseline; scale 1 is about 22 px tall (Hershey simplex).
int cvshim_draw_text(uint8_t *rgb, int width, int height, const char *text, double x, double y, double scale,
                     uint32_t color, int thickness);

// Width and height in pixels of text drawn at this scale and thickness.
int cvshim_draw_text_size(const char *text, double scale, int thickness, int *text_width, int *text_height);

// Area-averaging resize (for shrinking photos into figures) of src into dst.
int cvshim_draw_resize(const uint8_t *src, int src_width, int src_height, uint8_t *dst, int dst_width, int dst_height);

// PNG bytes of an RGB canvas; *png is malloc'ed, free with cvshim_draw_free. The caller
// writes the bytes (atomically), so a crash never leaves half a picture.
int cvshim_draw_encode_png(const uint8_t *rgb, int width, int height, uint8_t **png, size_t *length);

void cvshim_draw_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
