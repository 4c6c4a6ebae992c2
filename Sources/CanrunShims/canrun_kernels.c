/* Memory-bandwidth kernels. Kept in C because Swift's default target emits SSE2 only and has
   no non-temporal stores; each kernel is compiled for its ISA with target attributes and picked
   at run time. Non-temporal stores skip the write-allocate read (STREAM's counted bytes are then
   the moved bytes), as likwid's *_mem_* kernels do. */
#include "canrun_bench.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef double (*read_fn)(const double *a, size_t n);
typedef void (*copy_fn)(double *restrict c, const double *restrict a, size_t n);
typedef void (*triad_fn)(double *restrict a, const double *restrict b, const double *restrict c, double s, size_t n);

static double read_generic(const double *a, size_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        s0 += a[i];
        s1 += a[i + 1];
        s2 += a[i + 2];
        s3 += a[i + 3];
    }
    return s0 + s1 + s2 + s3;
}

static void copy_generic(double *restrict c, const double *restrict a, size_t n) {
    for (size_t i = 0; i < n; i++) c[i] = a[i];
}

static void triad_generic(double *restrict a, const double *restrict b, const double *restrict c, double s, size_t n) {
    for (size_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

#if defined(__x86_64__)
/* Arrays are page aligned and n is a multiple of 64 elements (see canrun_team_create). */
/* Eight independent accumulators keep eight cache lines in flight per iteration: one core's
   read rate is bound by how many misses it has outstanding. */
__attribute__((target("avx512f"))) static double read_avx512(const double *a, size_t n) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (size_t i = 0; i < n; i += 64) {
        s0 = _mm512_add_pd(s0, _mm512_load_pd(a + i));
        s1 = _mm512_add_pd(s1, _mm512_load_pd(a + i + 8));
        s2 = _mm512_add_pd(s2, _mm512_load_pd(a + i + 16));
        s3 = _mm512_add_pd(s3, _mm512_load_pd(a + i + 24));
        s4 = _mm512_add_pd(s4, _mm512_load_pd(a + i + 32));
        s5 = _mm512_add_pd(s5, _mm512_load_pd(a + i + 40));
        s6 = _mm512_add_pd(s6, _mm512_load_pd(a + i + 48));
        s7 = _mm512_add_pd(s7, _mm512_load_pd(a + i + 56));
    }
    __m512d s = _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)),
                              _mm512_add_pd(_mm512_add_pd(s4, s5), _mm512_add_pd(s6, s7)));
    return _mm512_reduce_add_pd(s);
}

__attribute__((target("avx512f"))) static void copy_avx512(double *restrict c, const double *restrict a, size_t n) {
    for (size_t i = 0; i < n; i += 32) {
        __m512d x0 = _mm512_load_pd(a + i), x1 = _mm512_load_pd(a + i + 8);
        __m512d x2 = _mm512_load_pd(a + i + 16), x3 = _mm512_load_pd(a + i + 24);
        _mm512_stream_pd(c + i, x0);
        _mm512_stream_pd(c + i + 8, x1);
        _mm512_stream_pd(c + i + 16, x2);
        _mm512_stream_pd(c + i + 24, x3);
    }
    _mm_sfence();
}

__attribute__((target("avx512f"))) static void triad_avx512(double *restrict a, const double *restrict b,
                                                            const double *restrict c, double s, size_t n) {
    __m512d vs = _mm512_set1_pd(s);
    for (size_t i = 0; i < n; i += 32) {
        _mm512_stream_pd(a + i, _mm512_fmadd_pd(vs, _mm512_load_pd(c + i), _mm512_load_pd(b + i)));
        _mm512_stream_pd(a + i + 8, _mm512_fmadd_pd(vs, _mm512_load_pd(c + i + 8), _mm512_load_pd(b + i + 8)));
        _mm512_stream_pd(a + i + 16, _mm512_fmadd_pd(vs, _mm512_load_pd(c + i + 16), _mm512_load_pd(b + i + 16)));
        _mm512_stream_pd(a + i + 24, _mm512_fmadd_pd(vs, _mm512_load_pd(c + i + 24), _mm512_load_pd(b + i + 24)));
    }
    _mm_sfence();
}

__attribute__((target("avx2"))) static double read_avx2(const double *a, size_t n) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (size_t i = 0; i < n; i += 32) {
        s0 = _mm256_add_pd(s0, _mm256_load_pd(a + i));
        s1 = _mm256_add_pd(s1, _mm256_load_pd(a + i + 4));
        s2 = _mm256_add_pd(s2, _mm256_load_pd(a + i + 8));
        s3 = _mm256_add_pd(s3, _mm256_load_pd(a + i + 12));
        s4 = _mm256_add_pd(s4, _mm256_load_pd(a + i + 16));
        s5 = _mm256_add_pd(s5, _mm256_load_pd(a + i + 20));
        s6 = _mm256_add_pd(s6, _mm256_load_pd(a + i + 24));
        s7 = _mm256_add_pd(s7, _mm256_load_pd(a + i + 28));
    }
    __m256d s = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)),
                              _mm256_add_pd(_mm256_add_pd(s4, s5), _mm256_add_pd(s6, s7)));
    double out[4];
    _mm256_storeu_pd(out, s);
    return out[0] + out[1] + out[2] + out[3];
}

__attribute__((target("avx2"))) static void copy_avx2(double *restrict c, const double *restrict a, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __m256d x0 = _mm256_load_pd(a + i), x1 = _mm256_load_pd(a + i + 4);
        __m256d x2 = _mm256_load_pd(a + i + 8), x3 = _mm256_load_pd(a + i + 12);
        _mm256_stream_pd(c + i, x0);
        _mm256_stream_pd(c + i + 4, x1);
        _mm256_stream_pd(c + i + 8, x2);
        _mm256_stream_pd(c + i + 12, x3);
    }
    _mm_sfence();
}

__attribute__((target("avx2,fma"))) static void triad_avx2(double *restrict a, const double *restrict b,
                                                          const double *restrict c, double s, size_t n) {
    __m256d vs = _mm256_set1_pd(s);
    for (size_t i = 0; i < n; i += 16) {
        _mm256_stream_pd(a + i, _mm256_fmadd_pd(vs, _mm256_load_pd(c + i), _mm256_load_pd(b + i)));
        _mm256_stream_pd(a + i + 4, _mm256_fmadd_pd(vs, _mm256_load_pd(c + i + 4), _mm256_load_pd(b + i + 4)));
        _mm256_stream_pd(a + i + 8, _mm256_fmadd_pd(vs, _mm256_load_pd(c + i + 8), _mm256_load_pd(b + i + 8)));
        _mm256_stream_pd(a + i + 12, _mm256_fmadd_pd(vs, _mm256_load_pd(c + i + 12), _mm256_load_pd(b + i + 12)));
    }
    _mm_sfence();
}

static double read_sse2(const double *a, size_t n) {
    __m128d s0 = _mm_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < n; i += 8) {
        s0 = _mm_add_pd(s0, _mm_load_pd(a + i));
        s1 = _mm_add_pd(s1, _mm_load_pd(a + i + 2));
        s2 = _mm_add_pd(s2, _mm_load_pd(a + i + 4));
        s3 = _mm_add_pd(s3, _mm_load_pd(a + i + 6));
    }
    __m128d s = _mm_add_pd(_mm_add_pd(s0, s1), _mm_add_pd(s2, s3));
    double out[2];
    _mm_storeu_pd(out, s);
    return out[0] + out[1];
}

static void copy_sse2(double *restrict c, const double *restrict a, size_t n) {
    for (size_t i = 0; i < n; i += 4) {
        _mm_stream_pd(c + i, _mm_load_pd(a + i));
        _mm_stream_pd(c + i + 2, _mm_load_pd(a + i + 2));
    }
    _mm_sfence();
}

static void triad_sse2(double *restrict a, const double *restrict b, const double *restrict c, double s, size_t n) {
    __m128d vs = _mm_set1_pd(s);
    for (size_t i = 0; i < n; i += 2) {
        _mm_stream_pd(a + i, _mm_add_pd(_mm_load_pd(b + i), _mm_mul_pd(vs, _mm_load_pd(c + i))));
    }
    _mm_sfence();
}
#endif

struct kernels {
    const char *isa;
    read_fn read;
    copy_fn copy;
    triad_fn triad;
};

static struct kernels select_kernels(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    /* __builtin_cpu_supports also checks that the OS enabled the register state (XCR0). */
    if (__builtin_cpu_supports("avx512f")) return (struct kernels){"avx512", read_avx512, copy_avx512, triad_avx512};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (struct kernels){"avx2", read_avx2, copy_avx2, triad_avx2};
    return (struct kernels){"sse2", read_sse2, copy_sse2, triad_sse2};
#else
    return (struct kernels){"generic", read_generic, copy_generic, triad_generic};
#endif
}

const char *canrun_kernel_isa(void) { return select_kernels().isa; }

uint64_t canrun_kernel_bytes(int kernel, size_t bytes_per_array) {
    switch (kernel) {
    case CANRUN_KERNEL_READ: return bytes_per_array;
    case CANRUN_KERNEL_COPY: return 2 * (uint64_t)bytes_per_array;
    default: return 3 * (uint64_t)bytes_per_array;
    }
}

static struct kernels chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose_kernels(void) { chosen = select_kernels(); }

/* Exposed to the team runner in canrun_team.c. */
double canrun_run_kernel(int kernel, double *a, double *b, double *c, size_t n) {
    pthread_once(&chosen_once, choose_kernels);
    const struct kernels k = chosen;
    switch (kernel) {
    case CANRUN_KERNEL_READ: return k.read(a, n);
    /* A copy team holds two arrays: it copies the first into the second. */
    case CANRUN_KERNEL_COPY: k.copy(b, a, n); return 0;
    default: k.triad(a, b, c, 3.0, n); return 0;
    }
}
