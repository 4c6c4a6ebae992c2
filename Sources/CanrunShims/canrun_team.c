/* A team of pinned worker threads that run one bandwidth pass at a time, all together.
   Each worker allocates and first-touches its own arrays after binding, so the pages land on
   the memory node the measurement is about. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include "canrun_bench.h"

#include <errno.h>
#include <stdatomic.h>
#include <hwloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

double canrun_run_kernel(int kernel, double *a, double *b, double *c, size_t n);

#define ARRAY_SLACK ((size_t)1 << 20)

/* One page plus one cache line between consecutive streams: 64-byte aligned for the vector
   loads and non-temporal stores, never at the same page offset. */
static size_t array_offset(void) { return 4096 + 64; }

struct worker {
    struct canrun_team *team;
    int pu;
    pthread_t thread;
    int started;
    void *allocations[3];
    double *arrays[3];
    double checksum;
    char error[160];
};

struct canrun_team {
    hwloc_topology_t topology;
    int threads;
    int memory_node;
    int arrays;
    size_t bytes;
    size_t elements;
    pthread_barrier_t ready, start, done;
    /* Workers wait at this gate until every thread exists (barrier counts are fixed). */
    pthread_mutex_t gate_lock;
    pthread_cond_t gate;
    int gate_state; /* 0 waiting, 1 go, -1 abandon */
    int kernel;
    int quit;
    struct worker *workers;
};

static atomic_int interrupted;

void canrun_bench_interrupt(void) { atomic_store_explicit(&interrupted, 1, memory_order_relaxed); }

void canrun_bench_clear_interrupt(void) { atomic_store_explicit(&interrupted, 0, memory_order_relaxed); }

int canrun_bench_interrupted(void) { return atomic_load_explicit(&interrupted, memory_order_relaxed); }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int setup(struct worker *w) {
    struct canrun_team *t = w->team;
    hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
    hwloc_bitmap_only(cpus, (unsigned)w->pu);
    int bound = hwloc_set_cpubind(t->topology, cpus, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT);
    if (bound != 0) bound = hwloc_set_cpubind(t->topology, cpus, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(cpus);
    if (bound != 0) {
        snprintf(w->error, sizeof w->error, "cannot bind a thread to CPU %d: %s", w->pu, strerror(errno));
        return -1;
    }
    for (int i = 0; i < t->arrays; i++) {
        if (t->memory_node >= 0) {
            hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
            hwloc_bitmap_only(nodes, (unsigned)t->memory_node);
            w->allocations[i] = hwloc_alloc_membind(t->topology, t->bytes + ARRAY_SLACK, nodes, HWLOC_MEMBIND_BIND,
                                                    HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
            hwloc_bitmap_free(nodes);
        } else {
            w->allocations[i] = hwloc_alloc(t->topology, t->bytes + ARRAY_SLACK);
        }
        if (w->allocations[i] == NULL) {
            snprintf(w->error, sizeof w->error, "cannot allocate %zu bytes%s: %s", t->bytes,
                     t->memory_node >= 0 ? " on the requested NUMA node" : "", strerror(errno));
            return -1;
        }
        /* Huge pages keep TLB misses out of the measurement; refusal is harmless. */
        (void)madvise(w->allocations[i], t->bytes + ARRAY_SLACK, MADV_HUGEPAGE);
        /* Streams that start at the same offset within a page contend for the same cache sets
           and trip 4K-aliasing between loads and stores; STREAM and likwid stagger theirs. */
        w->arrays[i] = (double *)((char *)w->allocations[i] + (size_t)i * array_offset());
        /* First touch in 2 MiB steps, so an interrupt never waits for gigabytes of page faults. */
        double value = (double)(i + 1);
        const size_t step = ((size_t)2 << 20) / sizeof(double);
        for (size_t start = 0; start < t->elements; start += step) {
            if (canrun_bench_interrupted()) {
                snprintf(w->error, sizeof w->error, "interrupted");
                return -1;
            }
            size_t end = start + step < t->elements ? start + step : t->elements;
            for (size_t k = start; k < end; k++) w->arrays[i][k] = value;
        }
    }
    return 0;
}

static void *work(void *argument) {
    struct worker *w = argument;
    struct canrun_team *t = w->team;
    pthread_mutex_lock(&t->gate_lock);
    while (t->gate_state == 0) pthread_cond_wait(&t->gate, &t->gate_lock);
    int go = t->gate_state == 1;
    pthread_mutex_unlock(&t->gate_lock);
    if (!go) return NULL;
    int ok = setup(w) == 0;
    pthread_barrier_wait(&t->ready);
    for (;;) {
        pthread_barrier_wait(&t->start);
        if (t->quit) break;
        if (ok) w->checksum += canrun_run_kernel(t->kernel, w->arrays[0], w->arrays[1], w->arrays[2], t->elements);
        pthread_barrier_wait(&t->done);
    }
    for (int i = 0; i < 3; i++) {
        if (w->allocations[i] != NULL) hwloc_free(t->topology, w->allocations[i], t->bytes + ARRAY_SLACK);
    }
    return NULL;
}

/* Frees the team once its workers have exited. */
static void release(struct canrun_team *t) {
    pthread_barrier_destroy(&t->ready);
    pthread_barrier_destroy(&t->start);
    pthread_barrier_destroy(&t->done);
    pthread_cond_destroy(&t->gate);
    pthread_mutex_destroy(&t->gate_lock);
    free(t->workers);
    free(t);
}

static void stop(struct canrun_team *t) {
    t->quit = 1;
    pthread_barrier_wait(&t->start);
    for (int i = 0; i < t->threads; i++) {
        if (t->workers[i].started) pthread_join(t->workers[i].thread, NULL);
    }
    release(t);
}

static void open_gate(struct canrun_team *t, int state) {
    pthread_mutex_lock(&t->gate_lock);
    t->gate_state = state;
    pthread_cond_broadcast(&t->gate);
    pthread_mutex_unlock(&t->gate_lock);
}

struct canrun_team *canrun_team_create(void *topology, int threads, const int *pus, int memory_node,
                                       int arrays, size_t bytes_per_array, char *err, size_t err_len) {
    if (threads < 1 || bytes_per_array < 4096 || arrays < 1 || arrays > 3) {
        snprintf(err, err_len, "a team needs at least one thread, 1 to 3 arrays and 4 KiB per array");
        return NULL;
    }
    struct canrun_team *t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    /* Whole 512-byte blocks, so every kernel's unrolled loop needs no remainder. */
    t->bytes = bytes_per_array - bytes_per_array % 512;
    t->elements = t->bytes / sizeof(double);
    t->topology = (hwloc_topology_t)topology;
    t->threads = threads;
    t->memory_node = memory_node;
    t->arrays = arrays;
    t->workers = calloc((size_t)threads, sizeof *t->workers);
    if (t->workers == NULL) {
        free(t);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&t->gate_lock, NULL);
    pthread_cond_init(&t->gate, NULL);
    /* The creating thread takes part in every barrier. */
    pthread_barrier_init(&t->ready, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&t->start, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&t->done, NULL, (unsigned)threads + 1);
    int started = 0;
    for (int i = 0; i < threads; i++) {
        t->workers[i].team = t;
        t->workers[i].pu = pus[i];
        if (pthread_create(&t->workers[i].thread, NULL, work, &t->workers[i]) != 0) break;
        /* Named, so top/ps show what they are, and tests can count them. */
        pthread_setname_np(t->workers[i].thread, CANRUN_TEAM_THREAD_NAME);
        t->workers[i].started = 1;
        started++;
    }
    if (started < threads) {
        snprintf(err, err_len, "cannot start %d threads (the system allowed %d)", threads, started);
        open_gate(t, -1);
        for (int i = 0; i < started; i++) pthread_join(t->workers[i].thread, NULL);
        release(t);
        return NULL;
    }
    open_gate(t, 1);
    pthread_barrier_wait(&t->ready);
    for (int i = 0; i < threads; i++) {
        if (t->workers[i].error[0] != '\0') {
            snprintf(err, err_len, "%s", t->workers[i].error);
            stop(t);
            return NULL;
        }
    }
    return t;
}

double canrun_team_run(struct canrun_team *t, int kernel, double *checksum) {
    if (t == NULL || kernel < CANRUN_KERNEL_READ || kernel > CANRUN_KERNEL_TRIAD || kernel + 1 > t->arrays) return -1;
    t->kernel = kernel;
    double begin = now_seconds();
    pthread_barrier_wait(&t->start);
    pthread_barrier_wait(&t->done);
    double elapsed = now_seconds() - begin;
    if (checksum != NULL) {
        double sum = 0;
        for (int i = 0; i < t->threads; i++) sum += t->workers[i].checksum;
        *checksum = sum;
    }
    return elapsed;
}

void canrun_team_destroy(struct canrun_team *t) {
    if (t != NULL) stop(t);
}
