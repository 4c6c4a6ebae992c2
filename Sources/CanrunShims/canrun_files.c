#define _GNU_SOURCE
#include "canrun_files.h"

#include <fcntl.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc has no openat2() wrapper before 2.38 and Swift cannot call the variadic syscall(2). The
   struct and flags are the kernel's UAPI (linux/openat2.h), spelled out so older headers build. */
struct canrun_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

const int canrun_o_path = O_PATH;

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture (the unified syscall table) */
#endif

int canrun_openat2(int dirfd, const char *path, int flags, unsigned long long resolve) {
    struct canrun_open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(unsigned int)flags;
    how.resolve = resolve;
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    return (int)fd;
}
