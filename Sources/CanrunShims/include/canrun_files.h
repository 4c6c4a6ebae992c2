#ifndef CANRUN_FILES_H
#define CANRUN_FILES_H

/// openat2(2) resolve flags (linux/openat2.h).
#define CANRUN_RESOLVE_NO_MAGICLINKS 0x02ULL
#define CANRUN_RESOLVE_BENEATH 0x08ULL

/// O_PATH, which glibc defines only under _GNU_SOURCE: open a path without opening the file for
/// reading (no FIFO or device sees an open), to fstat it or resolve below it.
extern const int canrun_o_path;

/// openat2(2) without a mode (nothing is created): `path` relative to `dirfd`, resolved as
/// `resolve` says. Returns the new descriptor, or -1 with errno set (ENOSYS before Linux 5.6,
/// EXDEV when RESOLVE_BENEATH stops a path leaving `dirfd`).
int canrun_openat2(int dirfd, const char *path, int flags, unsigned long long resolve);

#endif
