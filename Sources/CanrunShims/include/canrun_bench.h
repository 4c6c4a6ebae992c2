#ifndef CANRUN_BENCH_H
#define CANRUN_BENCH_H

#include <stddef.h>
#include <stdint.h>

/// The streaming kernels, STREAM byte accounting: read counts 8 bytes per element (a[i] is
/// loaded), copy 16 (c[i] = a[i]), triad 24 (a[i] = b[i] + s * c[i]). Copy and triad write with
/// non-temporal stores, so the bytes counted are the bytes moved (no write-allocate reads).
enum canrun_kernel {
    CANRUN_KERNEL_READ = 0,
    CANRUN_KERNEL_COPY = 1,
    CANRUN_KERNEL_TRIAD = 2,
};

/// Which instruction set the kernels were dispatched to: "avx512", "avx2", "sse2" or "generic".
const char *canrun_kernel_isa(void);

struct canrun_team;

/// The name every worker thread carries (at most 15 characters, the kernel's limit).
#define CANRUN_TEAM_THREAD_NAME "canrun-bench"

/// Starts `threads` worker threads. Worker i is bound to the PU with OS index `pus[i]` and
/// allocates `arrays` (1 for read, 2 for copy, 3 for triad) arrays of `bytes_per_array` bytes
/// bound to NUMA node `memory_node` (its own node when -1), first-touching them itself. `topology` is an hwloc_topology_t of this machine.
/// Returns NULL with a message in `err` when a thread, binding or allocation fails.
struct canrun_team *canrun_team_create(void *topology, int threads, const int *pus, int memory_node,
                                       int arrays, size_t bytes_per_array, char *err, size_t err_len);

/// Runs one pass of `kernel` (which must need no more arrays than the team has) on every worker at once and returns the wall time from the common
/// start to the last finish, in seconds (negative on failure). `checksum` receives the read
/// kernel's sum so the loads cannot be optimised away.
double canrun_team_run(struct canrun_team *team, int kernel, double *checksum);

/// Stops and joins the workers and frees their memory.
void canrun_team_destroy(struct canrun_team *team);

/// Asks running and starting teams to stop: first-touch loops return early and team creation
/// fails with "interrupted". Async-signal-safe (one atomic store), so signal handlers may call it.
void canrun_bench_interrupt(void);

/// Clears an earlier interrupt before a new measurement.
void canrun_bench_clear_interrupt(void);

/// Whether `canrun_bench_interrupt` was called since the last clear.
int canrun_bench_interrupted(void);

/// Bytes each pass of `kernel` counts for one worker with arrays of `bytes_per_array`.
uint64_t canrun_kernel_bytes(int kernel, size_t bytes_per_array);

#endif
