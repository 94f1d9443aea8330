// Header probe and strict verification of JPEG and PNG files; see include/cv_image_check.h.
//
// OpenCV decodes through the same libjpeg and libpng but leaves their warning
// handlers at the defaults, which print to stderr and carry on: a JPEG cut in half
// comes back as an image whose lower half is grey. Here the codecs are driven
// directly with handlers that turn the warnings meaning "pixels are missing or
// damaged" into errors; OpenCV still produces the pixels once a file has passed.
#include "cv_image_check.h"
#include "cv_decode.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static_assert(CVSHIM_CHECK_MESSAGE_LENGTH >= JMSG_LENGTH_MAX, "room for libjpeg's longest message");

namespace {

void set_message(cvshim_image_info *info, const char *text) {
    std::snprintf(info->message, CVSHIM_CHECK_MESSAGE_LENGTH, "%s", text);
}

int sniff(const uint8_t *b, size_t n) {
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return CVSHIM_FORMAT_JPEG;
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (n >= 8 && std::memcmp(b, png, 8) == 0) return CVSHIM_FORMAT_PNG;
    return CVSHIM_FORMAT_UNKNOWN;
}

// ---- JPEG ----

struct JpegGuard {
    jpeg_error_mgr pub;  // first member: libjpeg hands back a pointer to it
    std::jmp_buf jump;
    cvshim_image_info *info;
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
    auto *guard = reinterpret_cast<JpegGuard *>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, guard->info->message);
    std::longjmp(guard->jump, 1);
}

// Warnings after which the decoded pixels are not the file's: end of data before the
// image is complete, damaged entropy-coded data, data skipped to resynchronise.
bool damages_pixels(const jpeg_error_mgr *err) {
    switch (err->msg_code) {
        case JWRN_JPEG_EOF:
        case JWRN_HIT_MARKER:
        case JWRN_HUFF_BAD_CODE:
        case JWRN_ARITH_BAD_CODE:
        case JWRN_MUST_RESYNC:
        case JWRN_BOGUS_PROGRESSION:
            return true;
        case JWRN_EXTRANEOUS_DATA:  // padding before the final EOI marker is common and harmless
            return err->msg_parm.i[1] != 0xD9;
        default:
            return false;
    }
}

void jpeg_warning(j_common_ptr cinfo, int level) {
    if (level < 0 && damages_pixels(cinfo->err)) jpeg_fail(cinfo);
}

int check_jpeg(const uint8_t *bytes, size_t count, cvshim_image_info *info, bool full) {
    jpeg_decompress_struct cinfo;
    JpegGuard guard;
    cinfo.err = jpeg_std_error(&guard.pub);
    guard.pub.error_exit = jpeg_fail;
    guard.pub.emit_message = jpeg_warning;
    guard.info = info;
    if (setjmp(guard.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return CVSHIM_CHECK_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(count));
    jpeg_read_header(&cinfo, TRUE);
    info->width = static_cast<int>(cinfo.image_width);
    info->height = static_cast<int>(cinfo.image_height);
    info->bit_depth = cinfo.data_precision;
    info->channels = cinfo.num_components;
    if (full) {
        // The smallest output still runs the Huffman decoder over every block, which is
        // where truncation and corruption show; the inverse DCT shrinks to 1×1 per block.
        cinfo.scale_num = 1;
        cinfo.scale_denom = 8;
        cinfo.dct_method = JDCT_IFAST;
        cinfo.do_fancy_upsampling = FALSE;
        cinfo.do_block_smoothing = FALSE;
        jpeg_start_decompress(&cinfo);
        JSAMPARRAY row = (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                                     cinfo.output_width * cinfo.output_components, 1);
        while (cinfo.output_scanline < cinfo.output_height) jpeg_read_scanlines(&cinfo, row, 1);
        jpeg_finish_decompress(&cinfo);  // reads on to EOI: a file cut after the last scan fails here
    }
    jpeg_destroy_decompress(&cinfo);
    return CVSHIM_OK;
}

// ---- PNG ----

struct PngSource {
    const uint8_t *bytes;
    size_t count;
    size_t at;
};

void png_read_memory(png_structp png, png_bytep out, size_t length) {
    auto *source = static_cast<PngSource *>(png_get_io_ptr(png));
    if (length > source->count - source->at) png_error(png, "the file ends before the image does (truncated)");
    std::memcpy(out, source->bytes + source->at, length);
    source->at += length;
}

[[noreturn]] void png_fail(png_structp png, png_const_charp text) {
    set_message(static_cast<cvshim_image_info *>(png_get_error_ptr(png)), text);
    png_longjmp(png, 1);
}

// libpng reports recoverable problems in ancillary chunks (a bad CRC, an sRGB
// profile it knows to be slightly wrong) as warnings; none of them touches pixels.
// Missing or damaged image data and bad CRCs in critical chunks are errors.
void png_ignore_warning(png_structp, png_const_charp) {}

int check_png(const uint8_t *bytes, size_t count, cvshim_image_info *info, bool full) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, info, png_fail, png_ignore_warning);
    if (!png) return CVSHIM_ERR_ALLOC;
    png_infop header = png_create_info_struct(png);
    png_bytep row = nullptr;
    if (!header) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        return CVSHIM_ERR_ALLOC;
    }
    PngSource source{bytes, count, 0};
    if (setjmp(png_jmpbuf(png))) {
        png_free(png, row);
        png_destroy_read_struct(&png, &header, nullptr);
        return CVSHIM_CHECK_CORRUPT;
    }
    png_set_read_fn(png, &source, png_read_memory);
    // The limit is applied by the caller from the probed size; libpng's own default
    // (1,000,000 per side) would reject images the caller's limit allows.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, header);
    info->width = static_cast<int>(png_get_image_width(png, header));
    info->height = static_cast<int>(png_get_image_height(png, header));
    info->bit_depth = png_get_bit_depth(png, header);
    const int color = png_get_color_type(png, header);
    info->channels = color == PNG_COLOR_TYPE_PALETTE ? 3 : png_get_channels(png, header);
    if (full) {
        const int passes = png_set_interlace_handling(png);
        png_read_update_info(png, header);
        row = static_cast<png_bytep>(png_malloc(png, png_get_rowbytes(png, header)));
        for (int pass = 0; pass < passes; ++pass)
            for (int y = 0; y < info->height; ++y) png_read_row(png, row, nullptr);
        png_read_end(png, nullptr);  // on to IEND: a file cut after its image data fails here
    }
    png_free(png, row);
    png_destroy_read_struct(&png, &header, nullptr);
    return CVSHIM_OK;
}

int check(const uint8_t *bytes, size_t count, cvshim_image_info *info, bool full) {
    if (!info) return CVSHIM_ERR_UNREADABLE;
    std::memset(info, 0, sizeof(*info));
    if (!bytes) count = 0;
    info->format = sniff(bytes, count);
    switch (info->format) {
        case CVSHIM_FORMAT_JPEG: return check_jpeg(bytes, count, info, full);
        case CVSHIM_FORMAT_PNG: return check_png(bytes, count, info, full);
        default: return CVSHIM_CHECK_UNKNOWN_FORMAT;
    }
}

}  // namespace

extern "C" int cvshim_image_probe(const uint8_t *bytes, size_t count, cvshim_image_info *info) {
    return check(bytes, count, info, false);
}

extern "C" int cvshim_image_verify(const uint8_t *bytes, size_t count, cvshim_image_info *info) {
    return check(bytes, count, info, true);
}
