// Stubs for every function of the OpenCV shim. The first call loads
// libRomaOpenCV.so with dlopen and each stub then forwards to the shim's function.
//
// Where the library is looked for, in order:
//   $ROMA_OPENCV_LIBRARY (a path to the file), then, for the folder of the image
//   holding this code and for the folder of /proc/self/exe:
//   <folder>/libRomaOpenCV.so (the build folder: roma, roma-bench, the test bundle)
//   <folder>/../lib/roma-swift/libRomaOpenCV.so (what `make install` lays out).
#define _GNU_SOURCE
#include "opencv_loader.h"

#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBRARY_NAME "libRomaOpenCV.so"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *handle;
static char problem[4096];

static int try_folder(const char *folder, const char *relative, char *looked, size_t capacity) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s" LIBRARY_NAME, folder, relative);
    size_t used = strlen(looked);
    snprintf(looked + used, capacity - used, "%s%s", used ? ", " : "", path);
    if (access(path, F_OK) != 0) return 0;
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) snprintf(problem, sizeof problem, "cannot load %s: %s", path, dlerror());
    return 1;
}

static void load(void) {
    const char *override = getenv("ROMA_OPENCV_LIBRARY");
    if (override && *override) {
        handle = dlopen(override, RTLD_NOW | RTLD_LOCAL);
        if (!handle) snprintf(problem, sizeof problem, "cannot load ROMA_OPENCV_LIBRARY=%s: %s", override, dlerror());
        return;
    }
    char folders[2][PATH_MAX] = {{0}, {0}};
    Dl_info info;
    char resolved[PATH_MAX];
    if (dladdr((void *)&load, &info) && info.dli_fname && realpath(info.dli_fname, resolved)) {
        snprintf(folders[0], PATH_MAX, "%s", dirname(resolved));
    }
    ssize_t n = readlink("/proc/self/exe", resolved, sizeof resolved - 1);
    if (n > 0) {
        resolved[n] = 0;
        snprintf(folders[1], PATH_MAX, "%s", dirname(resolved));
    }
    char looked[3072] = {0};
    for (int i = 0; i < 2; i++) {
        if (!folders[i][0] || (i == 1 && strcmp(folders[0], folders[1]) == 0)) continue;
        if (try_folder(folders[i], "", looked, sizeof looked)) return;
        if (try_folder(folders[i], "../lib/roma-swift/", looked, sizeof looked)) return;
    }
    snprintf(problem, sizeof problem,
             "the OpenCV support library " LIBRARY_NAME " was not found (looked for %s); "
             "rebuild (make build), reinstall (make install), or set ROMA_OPENCV_LIBRARY to its path",
             looked);
}

int roma_opencv_load(const char **message) {
    pthread_once(&once, load);
    if (message) *message = handle ? NULL : problem;
    return handle ? 0 : 1;
}

static void *symbol(const char *name) {
    const char *message;
    if (roma_opencv_load(&message) != 0) {
        fprintf(stderr, "roma: %s\n", message);
        exit(1);
    }
    void *f = dlsym(handle, name);
    if (!f) {
        fprintf(stderr, "roma: %s has no %s (an older build?): %s\n", LIBRARY_NAME, name, dlerror());
        exit(1);
    }
    return f;
}

// One stub per shim function; the resolved pointer is cached (a racing first call
// resolves the same address twice, which is harmless).
#define FORWARD(ret, name, params, args)                                   \
    ret name params {                                                      \
        static ret(*fn) params;                                            \
        ret(*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);           \
        if (!f) {                                                          \
            f = (ret(*) params)symbol(#name);                              \
            __atomic_store_n(&fn, f, __ATOMIC_RELEASE);                    \
        }                                                                  \
        return f args;                                                     \
    }

// cv_decode.h
FORWARD(int, cvshim_decode_rgb, (const uint8_t *bytes, size_t count, uint8_t **pixels, int *width, int *height, int *depth_bits),
        (bytes, count, pixels, width, height, depth_bits))

// cv_image_check.h
FORWARD(int, cvshim_image_probe, (const uint8_t *bytes, size_t count, cvshim_image_info *info), (bytes, count, info))
FORWARD(int, cvshim_image_verify, (const uint8_t *bytes, size_t count, cvshim_image_info *info), (bytes, count, info))
FORWARD(int, cvshim_encode_rgb, (const char *path, const uint8_t *pixels, int width, int height), (path, pixels, width, height))
FORWARD(void, cvshim_free, (void *p), (p))

// cv_draw.h
FORWARD(int, cvshim_draw_line, (uint8_t *rgb, int width, int height, double x0, double y0, double x1, double y1, uint32_t color, int thickness),
        (rgb, width, height, x0, y0, x1, y1, color, thickness))
FORWARD(int, cvshim_draw_circle, (uint8_t *rgb, int width, int height, double cx, double cy, double radius, uint32_t color, int thickness),
        (rgb, width, height, cx, cy, radius, color, thickness))
FORWARD(int, cvshim_draw_rectangle, (uint8_t *rgb, int width, int height, double x0, double y0, double x1, double y1, uint32_t color, int thickness),
        (rgb, width, height, x0, y0, x1, y1, color, thickness))
FORWARD(int, cvshim_draw_text, (uint8_t *rgb, int width, int height, const char *text, double x, double y, double scale, uint32_t color, int thickness),
        (rgb, width, height, text, x, y, scale, color, thickness))
FORWARD(int, cvshim_draw_text_size, (const char *text, double scale, int thickness, int *text_width, int *text_height),
        (text, scale, thickness, text_width, text_height))
FORWARD(int, cvshim_draw_resize, (const uint8_t *src, int src_width, int src_height, uint8_t *dst, int dst_width, int dst_height),
        (src, src_width, src_height, dst, dst_width, dst_height))
FORWARD(int, cvshim_draw_encode_png, (const uint8_t *rgb, int width, int height, uint8_t **png, size_t *length), (rgb, width, height, png, length))
FORWARD(void, cvshim_draw_free, (void *p), (p))

// cv_sensor.h
FORWARD(int, cvshim_sensor_blur, (uint8_t *rgb, int width, int height, double sigma), (rgb, width, height, sigma))
FORWARD(int, cvshim_sensor_encode_jpeg, (const uint8_t *rgb, int width, int height, int quality, uint8_t **bytes, size_t *length),
        (rgb, width, height, quality, bytes, length))
FORWARD(int, cvshim_sensor_decode, (const uint8_t *bytes, size_t length, uint8_t *rgb, int width, int height), (bytes, length, rgb, width, height))

// cv_pose.h
FORWARD(roma_cv_pose_status, roma_cv_essential_pose,
        (const double *pts_a, const double *pts_b, int n, double threshold, double prob, int max_iters, double *R, double *t,
         double *E, unsigned char *mask, int *in_front, char *error, int error_capacity),
        (pts_a, pts_b, n, threshold, prob, max_iters, R, t, E, mask, in_front, error, error_capacity))
FORWARD(roma_cv_pose_status, roma_cv_fundamental,
        (const double *pts_a, const double *pts_b, int n, int method, double threshold, double confidence, int max_iters, double *F,
         unsigned char *mask, char *error, int error_capacity),
        (pts_a, pts_b, n, method, threshold, confidence, max_iters, F, mask, error, error_capacity))
FORWARD(int, roma_cv_method_ransac, (void), ())
FORWARD(int, roma_cv_method_usac_accurate, (void), ())

// cv_sift.h
FORWARD(int, cvshim_sift_detect, (const uint8_t *bytes, size_t count, int max_features, int threads, cvshim_sift_features *out),
        (bytes, count, max_features, threads, out))
FORWARD(void, cvshim_sift_release, (cvshim_sift_features * features), (features))
FORWARD(int, cvshim_sift_nearest,
        (const float *query, int query_count, const float *train, int train_count, int k, int threads, int32_t *nearest_index,
         float *nearest_distance),
        (query, query_count, train, train_count, k, threads, nearest_index, nearest_distance))
