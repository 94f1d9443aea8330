#include "kernels.h"
#include "onednn_internal.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

// oneDNN (Debian libdnnl2, the CPU library PyTorch uses) is opened at run time, not
// linked: a machine without it keeps working on OpenBLAS. Its GEMM picks AVX-512 or
// AVX2 code from cpuid; we cap that with ROMA_KERNELS like our own kernels.

typedef int (*sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t,
                        const float *, int64_t, float, float *, int64_t);
typedef int (*set_isa_fn)(int);
typedef void (*set_threads_fn)(int);

static void *library;   // libdnnl, once opened and usable (also for onednn_internal.h)
static sgemm_fn sgemm;
static set_threads_fn set_threads;
static pthread_once_t once = PTHREAD_ONCE_INIT;

// dnnl_cpu_isa_t values of oneDNN 2.x (dnnl_types.h).
enum { ISA_AVX2 = 0x7, ISA_ALL = 0x0 };

static void load(void) {
    const int level = roma_kernels_level();
    // ROMA_KERNELS=baseline promises SSE2 code only; oneDNN needs at least SSE4.1.
    if (level < 1) return;
    // OpenMP's idle threads spin after each parallel region by default, taking the
    // cores our own parallel loops (and, on a shared machine, other processes) need
    // between GEMMs; under load a spinning thread also delays the one it waits for.
    // Passive waiting costs a futex wake per GEMM instead. Read when libgomp loads,
    // so set before dlopen; a value in the environment wins.
    setenv("OMP_WAIT_POLICY", "passive", 0);
    void *lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    set_isa_fn set_isa = (set_isa_fn)dlsym(lib, "dnnl_set_max_cpu_isa");
    sgemm_fn f = (sgemm_fn)dlsym(lib, "dnnl_sgemm");
    // The OpenMP runtime oneDNN is built on (libgomp in Debian): looked up through
    // oneDNN's own dependencies, so its thread count is the one oneDNN uses.
    set_threads_fn t = (set_threads_fn)dlsym(lib, "omp_set_num_threads");
    if (!set_isa || !f || !t) return;
    // Must precede oneDNN's first use; fails (and is ignored) if something else used it first.
    set_isa(level >= 2 ? ISA_ALL : ISA_AVX2);
    set_threads = t;
    sgemm = f;
    library = lib;
}

void *roma_onednn_symbol(const char *name) {
    return roma_onednn_available() ? dlsym(library, name) : NULL;
}

void roma_onednn_set_threads(int threads) {
    // OpenMP's thread count belongs to the calling thread, so callers set it on every call.
    if (roma_onednn_available()) set_threads(threads < 1 ? 1 : threads);
}

int roma_onednn_available(void) {
    pthread_once(&once, load);
    return sgemm != 0;
}

int roma_onednn_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                      float *c, ptrdiff_t ldc, int threads) {
    if (!roma_onednn_available()) return -1;
    roma_onednn_set_threads(threads);
    return sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0 ? 0 : 1;
}
