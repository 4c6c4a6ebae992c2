#ifndef CANRUN_SHIMS_H
#define CANRUN_SHIMS_H

#include <stddef.h>
#include <stdint.h>

struct pci_access;
struct pci_dev;

/// How `canrun_pci_open` reaches the PCI bus.
enum canrun_pci_method {
    CANRUN_PCI_SYSFS = 0, /* a /sys/bus/pci tree, live or recorded */
    CANRUN_PCI_DUMP = 1,  /* `lspci -x` style text dump */
};

/// Opens libpci on `path` (a sys/bus/pci directory or a dump file) and scans the bus.
/// libpci's default error handler calls exit(); this one longjmps back and the
/// message lands in `err`. Returns NULL on failure.
struct pci_access *canrun_pci_open(int method, const char *path, const char *ids_file, char *err, size_t err_len);

/// `pci_fill_info` guarded like `canrun_pci_open`. Returns -1 on error.
int canrun_pci_fill(struct pci_access *access, struct pci_dev *dev, int flags, char *err, size_t err_len);

/// Frees what `canrun_pci_open` returned.
void canrun_pci_close(struct pci_access *access);

/// Fixed-arity wrappers for the variadic `pci_lookup_name`. Return NULL when the id is unknown.
const char *canrun_pci_vendor_name(struct pci_access *access, char *buf, int size, int vendor);
const char *canrun_pci_device_name(struct pci_access *access, char *buf, int size, int vendor, int device);

/// XCR0 (the OS-enabled extended state mask), or 0 where XGETBV is unavailable.
uint64_t canrun_xcr0(void);

/// 1 when the kernel lets this process use AMX tile data (ARCH_REQ_XCOMP_PERM for XTILEDATA
/// succeeds), 0 when refused, -1 where the question does not apply (not x86-64 Linux).
int canrun_amx_permitted(void);

#include "canrun_bench.h"
#include "canrun_files.h"

#endif
